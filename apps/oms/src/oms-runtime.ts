import {
  AccountLedger,
  HaltEnforcer,
  PostgresWorkingOrders,
  ActiveInstanceLock,
  CommandSide,
  FreshestReferencePrices,
  PostgresCheckpoints,
  PublishedMarketData,
  PublishedReferencePrices,
  ReferencePriceSource,
  createCommandSide,
  heldOrderRelease,
  OrderListProcessor,
  IntakeGate,
  ROUTING_PROCESSOR,
  withAppendMetrics,
} from '@oms/application';
import {
  EventStore,
  auditChainOf,
  RunningPostgres,
  createEventStore,
  startEmbeddedPostgres,
} from '@oms/event-store';
import {
  ExecutionGateway,
  GATEWAY_ENTITIES,
  PostgresWorkingSlices,
  MarketDataPublisher,
  VenueStatus,
  buildVenues,
} from '@oms/gateway';
import { runMigrations } from '@oms/migrations';
import { Clock, Logger, systemClock } from '@oms/platform';
import { Projector, READ_MODEL_PROJECTIONS } from '@oms/projector';
import { ORDER_UPDATED_CHANNEL, OrderUpdate, READ_MODEL_ENTITIES } from '@oms/read-models';
import { MarketDataChange, MarketDataView } from '@oms/domain';
import { MarketDataHandler, Venue } from '@oms/venues';
import { EventEmitter } from 'events';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { OmsSettings } from './settings';
import { Credentials } from './credentials';

export interface RuntimeOptions {
  /**
   * Reference prices for risk instead of the market's: fixed ones, for tests and benchmarks that run
   * the command side without a gateway. Otherwise the gateway's market data in its own process, or
   * what it publishes in one without it.
   */
  referencePrices?: ReferencePriceSource;
  /** The gateway's venues instead of the two simulated demo venues (tests). */
  venues?: (clock: Clock) => Promise<Venue[]>;
}

/** How long a published venue status is trusted (the gateway rewrites it every second). */
const VENUE_REPORT_TRUSTED_MS = 5_000;

type GatewayState =
  | 'not in this process'
  | 'starting'
  | 'recovering (catching up and reconciling with the venues)'
  | 'active'
  | 'standby'
  | { stopped: string };

/**
 * Everything one OMS process runs, wired here and nowhere else: the database (embedded or
 * DATABASE_URL), migrations, the event store, the read-model connection, the command side, and the
 * processors of its roles (projector, account ledger, execution gateway), plus the order-update feed
 * for GraphQL subscriptions. The HTTP surface (GraphQL, /health, /metrics) is the Nest application
 * built over it (`oms-app.ts`).
 */
export class OmsRuntime {
  readonly orderUpdates = new EventEmitter();
  /** The keys start-up made sure of (processes with the api role). */
  credentials: Credentials | null = null;
  private listener: Client | null = null;
  private chainer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private gatewayState: GatewayState;
  private gatewaySettled: Promise<void> = Promise.resolve();
  private marketDataPublisher: MarketDataPublisher | null = null;
  private markGatewayStopped!: (reason: string) => void;
  /** Resolves (with why) if this process's gateway stopped under it; the process should then exit. */
  readonly gatewayStopped = new Promise<string>((resolve) => (this.markGatewayStopped = resolve));

  private constructor(
    readonly settings: OmsSettings,
    readonly databaseUrl: string,
    private readonly embedded: RunningPostgres | null,
    readonly store: EventStore,
    readonly dataSource: DataSource,
    readonly prices: ReferencePriceSource,
    private readonly publishedPrices: PublishedReferencePrices | null,
    readonly commandSide: CommandSide,
    readonly projector: Projector | null,
    readonly ledger: AccountLedger | null,
    readonly haltEnforcer: HaltEnforcer | null,
    readonly orderLists: OrderListProcessor | null,
    readonly gateway: ExecutionGateway | null,
    private readonly marketData: MarketDataHandler | null,
    private readonly publishedMarketData: PublishedMarketData | null,
    readonly clock: Clock,
    readonly logger: Logger,
  ) {
    this.orderUpdates.setMaxListeners(0);
    this.gatewayState = gateway ? 'starting' : 'not in this process';
  }

  get roles(): OmsSettings['roles'] {
    return this.settings.roles;
  }

  /** Builds the process; nothing follows the log until `startRoles`. */
  static async start(
    settings: OmsSettings,
    logger: Logger,
    options: RuntimeOptions = {},
  ): Promise<OmsRuntime> {
    const clock = systemClock;
    const embedded = settings.databaseUrl
      ? null
      : await startEmbeddedPostgres({
          dataDir: settings.dataDir,
          log: (line) => logger.info({ component: 'postgres' }, line),
        });
    const databaseUrl = settings.databaseUrl ?? (embedded as RunningPostgres).connectionString;
    try {
      const ran = await runMigrations(databaseUrl);
      if (ran.length > 0) logger.info({ migrations: ran }, `migrations applied: ${ran.join(', ')}`);
      const store = withAppendMetrics(
        await createEventStore(
          {
            EVENT_STORE: settings.eventStore,
            KURRENTDB_CONNECTION_STRING: settings.eventStoreConnectionString ?? undefined,
          },
          databaseUrl,
        ),
      );
      const dataSource = await new DataSource({
        type: 'postgres',
        url: databaseUrl,
        entities: [...READ_MODEL_ENTITIES, ...GATEWAY_ENTITIES],
      }).initialize();
      // Risk follows what the active gateway publishes; a process whose own gateway sends uses its
      // venues' market data, which is fresher.
      const marketData = settings.roles.has('gateway') ? new MarketDataHandler(clock) : null;
      const published = options.referencePrices ? null : await PublishedReferencePrices.start(databaseUrl);
      const prices =
        options.referencePrices ??
        (marketData
          ? new FreshestReferencePrices([marketData, published as PublishedReferencePrices])
          : (published as PublishedReferencePrices));
      const checkpoints = new PostgresCheckpoints(dataSource);
      // Backpressure: past the limit of orders accepted here and not yet routed, OVERLOADED.
      const intake =
        settings.roles.has('api') && settings.intakeLimit !== null
          ? new IntakeGate(
              () => checkpoints.load(ROUTING_PROCESSOR),
              settings.intakeLimit,
              settings.intakeMaxWaitMs,
              clock,
            )
          : null;
      const commandSide = createCommandSide(store, prices, clock, intake, logger);
      await commandSide.reference.ready();
      const lock = (name: string) => new ActiveInstanceLock(dataSource, name);
      const projector = settings.roles.has('projector')
        ? new Projector(
            { store, checkpoints, lock: lock('oms-projection:read-models'), clock, logger },
            READ_MODEL_PROJECTIONS,
          )
        : null;
      const ledger = settings.roles.has('ledger')
        ? new AccountLedger(
            store,
            commandSide.aggregates,
            commandSide.accounts,
            commandSide.reference,
            prices,
            clock,
            {
              checkpoints,
              // One active ledger; the account's sequence check keeps a second from booking twice.
              lock: lock('oms-account-ledger'),
              logger,
            },
          )
        : null;
      // With the ledger: it takes risk off when trading is halted (one active, like the ledger).
      const haltEnforcer = settings.roles.has('ledger')
        ? new HaltEnforcer(
            commandSide.aggregates,
            commandSide.reference,
            new PostgresWorkingOrders(dataSource),
            {
              store,
              clock,
              checkpoints,
              lock: lock('oms-halt-enforcer'),
              logger,
            },
          )
        : null;
      // With the ledger: contingent lists follow their members (one active, like the ledger).
      const orderLists = settings.roles.has('ledger')
        ? new OrderListProcessor(commandSide.orderLists, commandSide.aggregates, store, clock, {
            checkpoints,
            lock: lock('oms-order-lists'),
            logger,
          })
        : null;
      let runtime: OmsRuntime | null = null;
      const gateway = marketData
        ? new ExecutionGateway({
            store,
            checkpoints,
            // One gateway sends to the venues; another process with the role stands by until it goes.
            lock: lock('oms-execution-gateway'),
            workingSlices: new PostgresWorkingSlices(dataSource),
            venues: await (
              options.venues ??
              ((c) =>
                buildVenues(settings.venues, {
                  clock: c,
                  dataDir: settings.dataDir,
                  marketDataFile: settings.marketDataFile,
                  logger,
                }))
            )(clock),
            marketData,
            clock,
            logger,
            heldOrders: heldOrderRelease(commandSide),
            onLost: (reason) => void runtime?.gatewayLost(reason),
          })
        : null;
      runtime = new OmsRuntime(
        settings,
        databaseUrl,
        embedded,
        store,
        dataSource,
        prices,
        published,
        commandSide,
        projector,
        ledger,
        haltEnforcer,
        orderLists,
        gateway,
        marketData,
        settings.roles.has('api') ? await PublishedMarketData.start(databaseUrl) : null,
        clock,
        logger,
      );
      if (settings.roles.has('api')) await runtime.listenForOrderUpdates();
      return runtime;
    } catch (error) {
      await embedded?.stop();
      throw error;
    }
  }

  /**
   * Starts following the log: projector, ledger and halt enforcer, each active or standing by; the
   * gateway recovers in the background (catching up, reconnecting, re-sending and reconciling with its
   * venues can take a while after a crash), so the API serves meanwhile and `/health` says where each
   * role is. A gateway that cannot start stops the process, as one that loses its lock does.
   */
  async startRoles(): Promise<void> {
    if (this.roles.has('projector')) this.startAuditChain();
    await this.projector?.start();
    await this.ledger?.processor.start();
    await this.haltEnforcer?.processor.start();
    await this.orderLists?.processor.start();
    if (this.gateway && this.marketData) {
      const gateway = this.gateway;
      this.gatewayState = 'recovering (catching up and reconciling with the venues)';
      this.gatewaySettled = gateway
        .start()
        .then((role) => {
          if (this.stopping || typeof this.gatewayState === 'object') return;
          if (role === 'standby') {
            this.gatewayState = 'standby';
            // Takes over later on its own; then it is active.
            void gateway.processor.whenCaughtUp().then(() => this.gatewayActive());
          } else {
            this.gatewayActive();
          }
        })
        .catch((error: unknown) => {
          if (this.stopping) return;
          this.logger.error({ err: error }, 'the execution gateway could not start');
          void this.gatewayLost(
            `it could not start: ${error instanceof Error ? error.message : String(error)}`,
            false,
          );
        });
    }
  }

  /**
   * Keeps the audit chain up with the log: every quarter second the events committed since its head
   * are chained (PostgreSQL: its chain table; KurrentDB: link events on the log). Every projector
   * process tries; one at a time extends it.
   */
  private startAuditChain(): void {
    const chain = auditChainOf(this.store);
    let running = false;
    this.chainer = setInterval(() => {
      if (running || this.stopping) return;
      running = true;
      chain
        .extend()
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit chain'))
        .finally(() => (running = false));
    }, 250);
    this.chainer.unref();
  }

  private gatewayActive(): void {
    if (this.stopping || typeof this.gatewayState === 'object' || !this.marketData) return;
    this.gatewayState = 'active';
    this.logger.info('execution gateway active: caught up, reconciled, sending to the venues');
    const gateway = this.gateway;
    this.marketDataPublisher = new MarketDataPublisher(
      this.marketData,
      this.dataSource,
      this.clock,
      this.logger,
      () => gateway?.status() ?? [],
    );
    this.marketDataPublisher.start();
  }

  /**
   * The market data the API serves: this process's own while its gateway sends, otherwise what the
   * active gateway publishes (an API-only process, or a gateway standing by).
   */
  readonly marketDataView: MarketDataView = {
    books: (instrumentId) => this.currentMarketData()?.books(instrumentId) ?? [],
    book: (venueId, instrumentId) => this.currentMarketData()?.book(venueId, instrumentId) ?? null,
    trades: (instrumentId, venueId, last) =>
      this.currentMarketData()?.trades(instrumentId, venueId, last) ?? [],
    onChange: (listener: (change: MarketDataChange) => void) => {
      const sources = [this.marketData, this.publishedMarketData].flatMap((source) =>
        source ? [source] : [],
      );
      const stops = sources.map((source) =>
        source.onChange((change) => {
          if (this.currentMarketData() === source) listener(change);
        }),
      );
      return () => stops.forEach((stop) => stop());
    },
  };

  private currentMarketData(): MarketDataView | null {
    return this.gatewayState === 'active' ? this.marketData : this.publishedMarketData;
  }

  /**
   * The venues as the active gateway reports them: this process's own, or what it publishes, each
   * with when it was reported. A report older than a few seconds is not trusted to say "connected".
   */
  venues(): (VenueStatus & { reportedAt: number })[] {
    const now = this.clock.now();
    if (this.gateway && this.gatewayState === 'active') {
      return this.gateway.status().map((venue) => ({ ...venue, reportedAt: now }));
    }
    return (this.publishedMarketData?.venues() ?? []).map(({ status, reportedAt }) => {
      const venue = status as unknown as VenueStatus;
      const silentFor = now - reportedAt;
      return silentFor <= VENUE_REPORT_TRUSTED_MS
        ? { ...venue, reportedAt }
        : {
            ...venue,
            connected: false,
            lastError: `no report from the execution gateway for ${Math.round(silentFor / 1000)} s`,
            reportedAt,
          };
    });
  }

  /** Resolves once the gateway this process runs is sending, stands by, or has stopped (at once without one). */
  whenGatewaySettled(): Promise<void> {
    return this.gatewaySettled;
  }

  /** Ready: the projector and the ledger this process runs have caught up with the log (or stand by). */
  async whenReady(): Promise<void> {
    await Promise.all([
      this.projector?.processor.whenReady(),
      this.ledger?.processor.whenReady(),
      this.haltEnforcer?.processor.whenReady(),
      this.orderLists?.processor.whenReady(),
    ]);
  }

  get ready(): boolean {
    return (this.projector?.processor.isReady ?? true) && this.gatewayReady;
  }

  /** The gateway (when this process runs it) is sending, having caught up, or stands by behind another. */
  get gatewayReady(): boolean {
    return (
      this.gatewayState === 'not in this process' ||
      this.gatewayState === 'active' ||
      this.gatewayState === 'standby'
    );
  }

  /** What /health says of the gateway. */
  get gatewayStatus(): string {
    const state = this.gatewayState;
    if (typeof state === 'object') return `stopped: ${state.stopped}; restart this process`;
    if (state === 'active') return 'ok';
    if (state === 'standby') return 'standby (another instance is active)';
    return state;
  }

  /**
   * The lock session ended under a running gateway (another process may take over at once, so this
   * one has stopped sending), or it could not start. It does not resume by itself (its venue sessions
   * and timers are gone); its process should exit and be restarted.
   */
  private async gatewayLost(reason: string, lockLost = true): Promise<void> {
    if (typeof this.gatewayState === 'object') return;
    this.gatewayState = { stopped: reason };
    if (lockLost) this.logger.error({ reason }, 'execution gateway stopped: its lock was lost');
    await this.marketDataPublisher?.stop();
    this.markGatewayStopped(reason);
  }

  /** Projector notifications (pg_notify on commit) become in-process events for GraphQL subscriptions. */
  private async listenForOrderUpdates(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === ORDER_UPDATED_CHANNEL && message.payload) {
        this.orderUpdates.emit('order', JSON.parse(message.payload) as OrderUpdate);
      }
    });
    client.on('error', (error) => {
      if (!this.stopping) this.logger.warn({ err: error }, 'order-update listener');
    });
    await client.connect();
    await client.query(`LISTEN ${ORDER_UPDATED_CHANNEL}`);
    this.listener = client;
  }

  /** Stops everything this process runs; every caller waits for the one shutdown. */
  stop(): Promise<void> {
    this.stopping ??= this.stopEverything();
    return this.stopping;
  }

  private async stopEverything(): Promise<void> {
    if (this.chainer) clearInterval(this.chainer);
    // Every processor learns at once that the process stops (a database going away meanwhile is then
    // no news), before any of them is waited for.
    const processors = [
      this.gateway?.stop(),
      this.ledger?.processor.stop(),
      this.haltEnforcer?.processor.stop(),
      this.orderLists?.processor.stop(),
      this.projector?.stop(),
    ];
    await this.marketDataPublisher?.stop();
    await Promise.all(processors);
    await this.commandSide.reference.stop();
    await this.publishedPrices?.stop();
    await this.publishedMarketData?.stop();
    await this.listener?.end().catch(() => undefined);
    await this.store.close();
    await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}
