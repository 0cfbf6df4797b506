import { AggregateStore, KeyedQueue, Loaded, orderStream } from '@oms/application';
import { Order, OrderCommand, OrderEvent, OrderIntent, OrderState, orderDecider } from '@oms/domain';
import { EventMetadata, EventStore } from '@oms/event-store';
import { Clock, Logger } from '@oms/platform';

export const GATEWAY_ACTOR = 'system:execution-gateway';

const VENUE_FACTS = new Set<OrderIntent['type']>(['RecordFill', 'BustTrade', 'CorrectTrade', 'RestateSlice']);

/** The gateway was stopped (its lock lost): nothing more goes to a venue, nothing is recorded. */
export class GatewayStopped extends Error {
  constructor() {
    super('the execution gateway was stopped');
  }
}

export const metadata = (
  correlationId: string,
  causationId: string | null,
  actor: string,
): EventMetadata => ({
  correlationId,
  causationId,
  actor,
});

/**
 * How the gateway reads and changes orders: one at a time per order (reports, timers and intents for
 * one order never race here), each change decided on the order's stream with its expected revision.
 */
export class GatewayOrders {
  private readonly queue = new KeyedQueue();
  private readonly aggregates: AggregateStore;
  private stopped = false;

  constructor(
    store: EventStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.aggregates = new AggregateStore(store);
  }

  /** Runs `work` after whatever is queued for the order; not at all once stopped. */
  run<T>(orderId: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(orderId, async () => {
      this.assertRunning();
      return work();
    });
  }

  load(orderId: string): Promise<Loaded<OrderState>> {
    return this.aggregates.load(orderDecider, orderStream(orderId));
  }

  /** Decides and appends on the order; a refusal (a duplicate, a late report) is logged and answered null. */
  async command(
    orderId: string,
    intent: OrderIntent,
    meta: EventMetadata,
    loaded?: Loaded<OrderState>,
  ): Promise<Order | null> {
    return (await this.record(orderId, intent, meta, loaded)).after;
  }

  /** As `command`, and the events recorded with the ids they were stored under. */
  async record(
    orderId: string,
    intent: OrderIntent,
    meta: EventMetadata,
    loaded?: Loaded<OrderState>,
  ): Promise<{ after: Order | null; recorded: { event: OrderEvent; eventId: string }[] }> {
    this.assertRunning();
    const outcome = await this.aggregates.execute(
      orderDecider,
      orderStream(orderId),
      { ...intent, metadata: { now: new Date(this.clock.now()) } } as OrderCommand,
      meta,
      loaded,
    );
    if (!outcome.accepted) {
      // A venue's fact (an execution, a bust, a correction, a restatement) refused is worth a look.
      const level = VENUE_FACTS.has(intent.type) ? 'warn' : 'info';
      this.log[level](
        { orderId, command: intent.type, code: outcome.rejections[0].code },
        `${intent.type} refused: ${outcome.rejections.map((r) => r.message).join(' ')}`,
      );
      return { after: null, recorded: [] };
    }
    return {
      after: outcome.after.state.exists ? outcome.after.state : null,
      recorded: outcome.events.map((event, k) => ({ event, eventId: outcome.eventIds[k] })),
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /** A stopped gateway may be superseded by another that holds the lock now: it must not act. */
  assertRunning(): void {
    if (this.stopped) throw new GatewayStopped();
  }
}
