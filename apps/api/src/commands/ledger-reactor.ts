import { AccountCommand, OrderEvent, OrderTerms, orderDecider } from '@oms/domain';
import { EventStore, RecordedEvent, Subscription, positionKey } from '@oms/event-store';
import { DataSource } from 'typeorm';
import { ActiveInstanceLock, loadCheckpoint, saveCheckpoint } from '@oms/read-models';
import { OrderCommands } from './order-commands';
import { orderStream } from './streams';

const RELEASING = ['OrderCanceled', 'OrderExpired', 'OrderRejectedByVenue'];
/** A replace ended: the reservation follows what works at the venue now. */
const REPLACE_ENDED = ['OrderReplaced', 'OrderReplaceRejected'];
const LEDGER_EVENTS = ['OrderFilled', ...RELEASING, ...REPLACE_ENDED];
const CHECKPOINT = 'account-ledger';

/**
 * The account ledger: a durable subscription over order events that books fills into the account
 * (positions, P&L, the post-trade loss limit), releases exposure when an order stops working, and
 * sets an order's reservation to its open quantity and price once a replace has ended (taken, partly
 * taken, or refused by the venue: pre-trade risk reserved for the requested terms).
 * Idempotent: each account command carries the event's log position, and the account ignores anything
 * at or below the last one it applied, so redelivery after a crash changes nothing.
 */
export class LedgerReactor {
  private subscription: Subscription | null = null;
  private readonly terms = new Map<string, OrderTerms>();
  /** One active ledger; the account's sequence check keeps a second from booking twice, not from the work. */
  private readonly lock: ActiveInstanceLock;
  private standby = false;
  private stopped = false;
  private markReady!: () => void;
  private readonly readyOrStandby = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly commands: OrderCommands,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.lock = new ActiveInstanceLock(dataSource, 'oms-account-ledger');
  }

  /** Follows the log if no other ledger does; otherwise stands by and takes over when it goes. */
  async start(): Promise<void> {
    const active = await this.lock.run(
      async () => {
        this.standby = false;
        await this.follow();
      },
      () => undefined, // idempotent bookings: a second ledger for a moment does no harm
    );
    if (!active) {
      this.standby = true;
      this.markReady();
    }
  }

  get isStandby(): boolean {
    return this.standby;
  }

  private async follow(): Promise<void> {
    const from = await loadCheckpoint(this.dataSource, CHECKPOINT);
    this.subscription = this.store.subscribeToAll(
      { fromPosition: from, filter: { eventTypes: LEDGER_EVENTS } },
      async (events) => {
        for (const event of events) await this.handle(event);
        await saveCheckpoint(this.dataSource, CHECKPOINT, events[events.length - 1].position);
      },
    );
    void this.subscription.caughtUp.then(() => this.markReady());
    // A failed batch (the database away for a moment) does not end the booking: this ledger holds the
    // lock, so it follows again from its checkpoint a second later (bookings are idempotent).
    this.subscription.done.catch(() => {
      if (this.stopped) return;
      setTimeout(() => {
        if (!this.stopped) void this.follow().catch(() => undefined);
      }, 1_000).unref();
    });
  }

  /** Resolves once this ledger has caught up with the log, or stands by behind the active one. */
  async whenCaughtUpOrStandby(): Promise<void> {
    await this.readyOrStandby;
  }

  get done(): Promise<void> {
    return this.subscription?.done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.lock.release();
  }

  private async handle(recorded: RecordedEvent): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as OrderEvent;
    const orderId = recorded.streamName.slice('order-'.length);
    const terms = await this.orderTerms(orderId);
    if (!terms) return;
    const sourceSequence = positionKey(recorded.position);
    const ctx = {
      actor: 'system:account-ledger',
      correlationId: recorded.metadata.correlationId,
      causationId: recorded.eventId,
    };
    const now = this.clock();
    let command: AccountCommand;
    if (event.type === 'OrderFilled') {
      const d = event.data;
      command = {
        type: 'BookFill',
        data: {
          accountId: terms.accountId,
          orderId,
          execId: d.execId,
          instrumentId: terms.instrumentId,
          side: terms.side,
          quantity: d.quantity,
          price: d.price,
          fee: d.fee,
          executedAt: d.executedAt,
          sourceSequence,
        },
        metadata: { now },
      };
    } else if (REPLACE_ENDED.includes(event.type)) {
      // The order as this event left it: its open quantity and limit price are what the venue works.
      const history = await this.store.readStream(orderStream(orderId), {
        maxCount: Number(recorded.revision) + 1,
      });
      const order = history.reduce(
        (state, e) => orderDecider.evolve(state, { type: e.type, data: e.data } as OrderEvent),
        orderDecider.initialState(),
      );
      if (!order.exists) return;
      command = {
        type: 'AdjustReservation',
        data: {
          accountId: terms.accountId,
          orderId,
          quantity: order.leavesQty.toString(),
          price: order.limitPrice?.toString() ?? null,
          reason: event.type,
          sourceSequence,
        },
        metadata: { now },
      };
    } else {
      command = {
        type: 'ReleaseExposure',
        data: { accountId: terms.accountId, orderId, reason: event.type, sourceSequence },
        metadata: { now },
      };
    }
    await this.commands.withAccount(terms.accountId, ctx, () => command);
  }

  private async orderTerms(orderId: string): Promise<OrderTerms | null> {
    const cached = this.terms.get(orderId);
    if (cached) return cached;
    const [first] = await this.store.readStream(orderStream(orderId), { maxCount: 1 });
    if (!first) return null;
    const state = orderDecider.evolve(orderDecider.initialState(), {
      type: first.type,
      data: first.data,
    } as OrderEvent);
    if (!state.exists) return null;
    this.terms.set(orderId, state.terms);
    return state.terms;
  }
}
