import { EventStore, RunningPostgres, createEventStore, startEmbeddedPostgres } from '@oms/event-store';
import { runMigrations } from '@oms/migrations';
import { ActiveInstanceLock, READ_MODEL_ENTITIES } from '@oms/read-models';
import { EventEmitter } from 'events';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ORDER_UPDATED_CHANNEL, Projector } from '../../../projector/src/projector';
import { READ_MODEL_PROJECTIONS } from '../../../projector/src/projections';
import { ExecutionGateway } from '../../../gateway/src/execution-gateway';
import { MarketDataHandler } from '../../../gateway/src/market-data-handler';
import { demoVenues } from '../../../gateway/src/demo-venues';
import { systemClock } from '@oms/venues';
import { LedgerReactor } from '../commands/ledger-reactor';
import { OrderCommands } from '../commands/order-commands';
import { ReferencePricePublisher } from '../../../gateway/src/reference-price-publisher';
import {
  FreshestReferencePrices,
  PublishedReferencePrices,
  ReferencePriceSource,
} from '../commands/reference-prices';
import { seedDemo } from './demo-seed';
import { OmsSettings } from './settings';

export interface RuntimeOptions {
  /**
   * Reference prices for risk instead of the market's: fixed ones, for tests and benchmarks that run
   * the command side without a gateway. Otherwise the gateway's market data in its own process, or
   * what it publishes in one without it.
   */
  referencePrices?: ReferencePriceSource;
}

type GatewayState =
  { kind: 'starting' } | { kind: 'active' } | { kind: 'standby' } | { kind: 'stopped'; reason: string };

export interface OrderUpdate {
  orderId: string;
  accountId: string;
}

/**
 * Everything one OMS process runs, wired without a framework: the database (embedded or DATABASE_URL),
 * migrations, the event store, the read-model connection, the command side, the projector, the
 * account ledger and the order-update feed. Nest modules only hand these to resolvers.
 */
export class OmsRuntime {
  readonly orderUpdates = new EventEmitter();
  private sweeper: NodeJS.Timeout | null = null;
  private listener: Client | null = null;
  private stopping: Promise<void> | null = null;
  private roles: OmsSettings['roles'] = new Set();
  /** The gateway this process runs (if any): at most one process sends to the venues at a time. */
  private gatewayState: GatewayState = { kind: 'starting' };
  private gatewayLock: ActiveInstanceLock | null = null;
  private markGatewayStopped!: (reason: string) => void;
  /** Resolves (with why) if this process's gateway stopped under it; the process should then exit. */
  readonly gatewayStopped = new Promise<string>((resolve) => (this.markGatewayStopped = resolve));
  private pricePublisher: ReferencePricePublisher | null = null;
  private publishedPrices: PublishedReferencePrices | null = null;

  private constructor(
    readonly databaseUrl: string,
    private readonly embedded: RunningPostgres | null,
    readonly store: EventStore,
    readonly dataSource: DataSource,
    readonly prices: ReferencePriceSource,
    readonly commands: OrderCommands,
    readonly projector: Projector,
    readonly ledger: LedgerReactor,
    readonly gateway: ExecutionGateway | null,
  ) {
    this.orderUpdates.setMaxListeners(0);
  }

  static async start(
    settings: OmsSettings,
    log: (line: string) => void = () => undefined,
    options: RuntimeOptions = {},
  ): Promise<OmsRuntime> {
    const embedded = settings.databaseUrl
      ? null
      : await startEmbeddedPostgres({ dataDir: settings.dataDir, log });
    const databaseUrl = settings.databaseUrl ?? (embedded as RunningPostgres).connectionString;
    try {
      const ran = await runMigrations(databaseUrl);
      if (ran.length > 0) log(`migrations applied: ${ran.join(', ')}`);
      const store = await createEventStore({ ...process.env, EVENT_STORE: settings.eventStore }, databaseUrl);
      const dataSource = await new DataSource({
        type: 'postgres',
        url: databaseUrl,
        entities: READ_MODEL_ENTITIES,
      }).initialize();
      // Risk follows what the active gateway publishes; a process whose own gateway sends uses its
      // venues' market data, which is fresher.
      const marketData = settings.roles.has('gateway')
        ? new MarketDataHandler(() => systemClock.now())
        : null;
      const published = options.referencePrices ? null : await PublishedReferencePrices.start(databaseUrl);
      const prices =
        options.referencePrices ??
        (marketData
          ? new FreshestReferencePrices([marketData, published as PublishedReferencePrices])
          : (published as PublishedReferencePrices));
      const commands = new OrderCommands(store, prices);
      await commands.start();
      if (settings.seedDemo) await seedDemo(commands);
      const projector = new Projector(store, dataSource, READ_MODEL_PROJECTIONS);
      const ledger = new LedgerReactor(store, dataSource, commands);
      const gateway = marketData
        ? new ExecutionGateway(
            store,
            dataSource,
            await demoVenues(systemClock, settings.marketDataFile),
            marketData,
            systemClock,
            { log },
          )
        : null;
      const runtime = new OmsRuntime(
        databaseUrl,
        embedded,
        store,
        dataSource,
        prices,
        commands,
        projector,
        ledger,
        gateway,
      );
      runtime.roles = settings.roles;
      runtime.publishedPrices = published;
      if (settings.roles.has('api')) await runtime.listenForOrderUpdates();
      if (settings.roles.has('projector')) await projector.start();
      if (settings.roles.has('ledger')) await ledger.start();
      if (gateway && marketData) {
        // One gateway sends to the venues; another process with the role stands by until it goes.
        runtime.gatewayLock = new ActiveInstanceLock(dataSource, 'oms-execution-gateway');
        const active = await runtime.gatewayLock.run(
          async () => {
            if (runtime.stopping) return; // took the lock as the process began to stop
            await gateway.start();
            if (runtime.stopping || runtime.gatewayState.kind === 'stopped') {
              await gateway.stop();
              return;
            }
            runtime.gatewayState = { kind: 'active' };
            runtime.pricePublisher = new ReferencePricePublisher(marketData, dataSource, systemClock, log);
            runtime.pricePublisher.start();
          },
          (reason) => void runtime.stopGateway(reason, log),
        );
        if (!active) runtime.gatewayState = { kind: 'standby' };
      }
      runtime.sweeper = setInterval(() => {
        void commands
          .sweepOrphanedReservations(30_000, {
            actor: 'system:reservation-sweeper',
            correlationId: 'sweeper',
          })
          .catch((e) => log(`sweeper: ${String(e)}`));
      }, 10_000);
      runtime.sweeper.unref();
      return runtime;
    } catch (error) {
      await embedded?.stop();
      throw error;
    }
  }

  /** Ready: the projector and the ledger this process runs have caught up with the log. */
  async whenReady(): Promise<void> {
    await Promise.all([
      this.roles.has('projector') ? this.projector.whenReadyOrStandby() : undefined,
      this.roles.has('ledger') ? this.ledger.whenCaughtUpOrStandby() : undefined,
    ]);
  }

  get ready(): boolean {
    const projector = !this.roles.has('projector') || this.projector.isCaughtUp || this.projector.isStandby;
    return projector && this.gatewayReady;
  }

  /** The gateway (when this process runs it) is sending, having caught up, or stands by behind another. */
  get gatewayReady(): boolean {
    return (
      this.gateway === null || this.gatewayState.kind === 'active' || this.gatewayState.kind === 'standby'
    );
  }

  /** What /health says of the gateway. */
  get gatewayStatus(): string {
    if (this.gateway === null) return 'not in this process';
    const state = this.gatewayState;
    if (state.kind === 'active') return 'ok';
    if (state.kind === 'standby') return 'standby (another instance is active)';
    if (state.kind === 'stopped') return `stopped: ${state.reason}; restart this process`;
    return 'starting';
  }

  /**
   * The lock session ended under a running gateway: another process may take over at once, so this
   * one stops sending. It does not resume by itself (its venue sessions and timers are gone); restart it.
   */
  private async stopGateway(reason: string, log: (line: string) => void): Promise<void> {
    if (this.gatewayState.kind === 'stopped') return;
    this.gatewayState = { kind: 'stopped', reason };
    log(`execution gateway stopped: ${reason}`);
    await this.pricePublisher?.stop();
    await this.gateway?.stop();
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
    client.on('error', () => undefined);
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
    if (this.sweeper) clearInterval(this.sweeper);
    await this.pricePublisher?.stop();
    await this.gateway?.stop();
    await this.gatewayLock?.release();
    await this.ledger.stop();
    await this.projector.stop();
    await this.commands.stop();
    await this.publishedPrices?.stop();
    await this.listener?.end().catch(() => undefined);
    await this.store.close();
    await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}
