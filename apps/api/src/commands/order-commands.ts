import {
  AccountCommand,
  AccountState,
  Decimal,
  InstrumentDefinition,
  Order,
  OrderEvent,
  OrderState,
  OrderTerms,
  OrderType,
  PreTradeRequest,
  Rejection,
  RiskLimitsData,
  Side,
  TimeInForce,
  controlsDecider,
  instrumentDecider,
  orderDecider,
  riskReferenceOf,
} from '@oms/domain';
import { EventMetadata, EventStore } from '@oms/event-store';
import { OmsUserError } from '../graphql/errors';
import { orderIdFor } from '../orders/order-id';
import { AggregateStore, Loaded } from './aggregate-store';
import { HotAccounts } from './hot-accounts';
import { KeyedQueue } from './keyed-queue';
import { ReferenceData } from './reference-data';
import { ReferencePriceSource } from './reference-prices';
import { CONTROLS_STREAM, instrumentStream, orderStream } from './streams';

export interface CommandContext {
  actor: string;
  correlationId: string;
  /** The event or command that caused this one, if any. */
  causationId?: string | null;
}

export interface PlaceOrderRequest {
  accountId: string;
  clientOrderId: string;
  instrumentId: string;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  limitPrice: Decimal | null;
  timeInForce: TimeInForce;
  venueId: string | null;
}

export interface PlaceOrderOutcome {
  accepted: boolean;
  order: Order;
  rejections: Rejection[];
}

export type HaltScope = 'GLOBAL' | 'ACCOUNT' | 'INSTRUMENT';

/** How many recently placed order ids are remembered as likely retries. */
const RECENT_ORDERS = 100_000;

const NEW_ORDER: Loaded<OrderState> = { state: orderDecider.initialState(), revision: null };

const metadataOf = (ctx: CommandContext): EventMetadata => ({
  correlationId: ctx.correlationId,
  causationId: ctx.causationId ?? null,
  actor: ctx.actor,
});

/**
 * The command side. Handlers stay thin: load state, call the pure decider, append with the expected
 * revision, retry on a concurrent write. Accounts are kept hot in memory with their revision; commands
 * for one account (and for one order id) run one at a time in this process, and optimistic concurrency
 * keeps several processes consistent.
 */
export class OrderCommands {
  private readonly aggregates: AggregateStore;
  private readonly accounts: HotAccounts;
  private readonly reference: ReferenceData;
  private readonly orderQueue = new KeyedQueue();
  /** Order ids placed here lately, oldest first: a request for one of them is most likely a retry. */
  private readonly recentOrders = new Set<string>();
  /**
   * Reserved orders whose order stream is known to exist: the sweeper looks each reservation up once,
   * not on every pass (an order may rest for days). Pruned to the reservations still open.
   */
  private readonly recordedOrders = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly prices: ReferencePriceSource,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.aggregates = new AggregateStore(store);
    this.accounts = new HotAccounts(store, this.aggregates);
    this.reference = new ReferenceData(store, this.aggregates);
  }

  /** Follows reference data and halts from the log (also started by the first order). */
  start(): Promise<void> {
    return this.reference.ready();
  }

  async stop(): Promise<void> {
    await this.reference.stop();
  }

  placeOrder(request: PlaceOrderRequest, ctx: CommandContext): Promise<PlaceOrderOutcome> {
    const orderId = orderIdFor(request.accountId, request.clientOrderId);
    return this.orderQueue.run(orderId, () => this.placeOrderNow(orderId, request, ctx));
  }

  private async placeOrderNow(
    orderId: string,
    request: PlaceOrderRequest,
    ctx: CommandContext,
  ): Promise<PlaceOrderOutcome> {
    validateShape(request);
    const terms: OrderTerms = {
      orderId,
      accountId: request.accountId,
      clientOrderId: request.clientOrderId,
      instrumentId: request.instrumentId,
      side: request.side,
      type: request.type,
      timeInForce: request.timeInForce,
      quantity: request.quantity.toString(),
      limitPrice: request.limitPrice === null ? null : request.limitPrice.toString(),
      venueId: request.venueId,
    };
    const stream = orderStream(orderId);
    // A retry of an order placed here lately: answer from the order without touching the account.
    // Any other existing order is found by the order append below (expected: no stream).
    if (this.recentOrders.has(orderId)) {
      const existing = await this.aggregates.load(orderDecider, stream);
      if (existing.state.exists) return this.repeated(existing.state, terms);
    }
    this.remember(orderId);

    const now = this.clock();
    const market = await this.marketInputs(request.instrumentId, now);
    if (!market.instrument) {
      throw new OmsUserError('UNKNOWN_INSTRUMENT', `Instrument ${request.instrumentId} is not defined.`);
    }
    const preTrade: PreTradeRequest = { order: terms, ...market };
    const rejections = await this.reserve(
      request.accountId,
      {
        type: 'ReserveExposure',
        data: { accountId: request.accountId, request: preTrade },
        metadata: { now },
      },
      ctx,
    );

    let placed: { events: OrderEvent[]; after: Loaded<OrderState> } | null = null;
    let refusal: OmsUserError | null = null;
    try {
      placed = await this.aggregates.execute(
        orderDecider,
        stream,
        {
          type: 'PlaceOrder',
          data: { terms, rejections, reference: riskReferenceOf(market.referencePrice) },
          metadata: { now },
        },
        metadataOf(ctx),
        NEW_ORDER,
      );
    } catch (error) {
      // A refusal means the order exists with other terms; anything else leaves the reservation to
      // the sweeper.
      if (!(error instanceof OmsUserError)) throw error;
      refusal = error;
    }
    if (placed && placed.events.length > 0) {
      if (rejections.length === 0) this.recordedOrders.add(orderId);
      return { accepted: rejections.length === 0, order: placed.after.state as Order, rejections };
    }
    // The order existed already (placed before, or by another process just now): its outcome stands,
    // and what was reserved for this request is released. So it is when the order was refused.
    if (rejections.length === 0) {
      await this.withAccount(request.accountId, ctx, () => ({
        type: 'ReleaseExposure',
        data: {
          accountId: request.accountId,
          orderId,
          reason: 'repeated request for an existing order',
          sourceSequence: null,
        },
        metadata: { now: this.clock() },
      })).catch(() => undefined); // the sweeper releases it otherwise
    }
    const current = placed?.after ?? (await this.aggregates.load(orderDecider, stream));
    if (!current.state.exists) throw refusal ?? new Error(`Order ${orderId} was neither placed nor found.`);
    return this.repeated(current.state, terms);
  }

  private remember(orderId: string): void {
    this.recentOrders.delete(orderId);
    this.recentOrders.add(orderId);
    if (this.recentOrders.size > RECENT_ORDERS) {
      this.recentOrders.delete(this.recentOrders.values().next().value as string);
    }
  }

  /** The pre-trade decision on the hot account: reserves exposure, or returns every failed check. */
  private async reserve(
    accountId: string,
    command: AccountCommand,
    ctx: CommandContext,
  ): Promise<Rejection[]> {
    const outcome = await this.accounts.decide(accountId, () => command, metadataOf(ctx), true);
    return outcome.rejections;
  }

  /** Runs an account command through the decider (refusals throw OmsUserError) on the hot account. */
  async withAccount(
    accountId: string,
    ctx: CommandContext,
    make: (account: AccountState) => AccountCommand,
  ): Promise<AccountState> {
    const outcome = await this.accounts.decide(accountId, make, metadataOf(ctx), false);
    if (outcome.rejections.length > 0) throw OmsUserError.fromRejections(outcome.rejections);
    return outcome.state;
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (
      (await this.accounts.get(accountId)).revision !== null ||
      (await this.accounts.refresh(accountId)).revision !== null
    );
  }

  /** The same request again answers as the first time; another order under the same id is refused. */
  private repeated(order: Order, terms: OrderTerms): PlaceOrderOutcome {
    const decision = orderDecider.decide(
      { type: 'PlaceOrder', data: { terms, rejections: [] }, metadata: { now: this.clock() } },
      order,
    );
    if (!decision.accepted) throw OmsUserError.fromRejections(decision.rejections);
    return {
      accepted: order.status !== 'REJECTED' || order.rejections.length === 0,
      order,
      rejections: order.rejections,
    };
  }

  cancelOrder(orderId: string, reason: string | null, ctx: CommandContext): Promise<Order> {
    return this.orderQueue.run(orderId, async () => {
      const { after } = await this.aggregates.execute(
        orderDecider,
        orderStream(orderId),
        {
          type: 'RequestCancel',
          data: { orderId, reason: reason ?? undefined },
          metadata: { now: this.clock() },
        },
        metadataOf(ctx),
      );
      return after.state as Order;
    });
  }

  /** A replace runs pre-trade risk again with the new terms before it is requested from the venue. */
  replaceOrder(
    orderId: string,
    quantity: Decimal | null,
    limitPrice: Decimal | null,
    ctx: CommandContext,
  ): Promise<Order> {
    return this.orderQueue.run(orderId, async () => {
      const stream = orderStream(orderId);
      const loaded = await this.aggregates.load(orderDecider, stream);
      const now = this.clock();
      const command = {
        type: 'RequestReplace' as const,
        data: { orderId, quantity: quantity?.toString() ?? null, limitPrice: limitPrice?.toString() ?? null },
        metadata: { now },
      };
      const lifecycle = orderDecider.decide(command, loaded.state);
      if (!lifecycle.accepted) throw OmsUserError.fromRejections(lifecycle.rejections);
      const order = loaded.state as Order;
      const requested = lifecycle.events[0];
      if (requested?.type !== 'OrderReplaceRequested') throw new Error('replace produced no request');
      const market = await this.marketInputs(order.terms.instrumentId, now);
      const rejections = await this.reserve(
        order.terms.accountId,
        {
          type: 'ReserveReplacement',
          data: {
            accountId: order.terms.accountId,
            request: {
              // Risk sees what would remain open: the new quantity less what has already filled.
              order: {
                ...order.terms,
                quantity: Decimal.parse(requested.data.quantity).minus(order.cumQty).toString(),
                limitPrice: requested.data.limitPrice,
              },
              ...market,
            },
          },
          metadata: { now },
        },
        ctx,
      );
      // A refusal is recorded on the order too (OrderReplaceRefused), then answered as an error.
      const { after } = await this.aggregates.execute(
        orderDecider,
        stream,
        { ...command, data: { ...command.data, rejections } },
        metadataOf(ctx),
        loaded,
      );
      if (rejections.length > 0) throw OmsUserError.fromRejections(rejections);
      return after.state as Order;
    });
  }

  setRiskLimits(accountId: string, limits: RiskLimitsData, ctx: CommandContext): Promise<AccountState> {
    if (!/^[A-Za-z0-9_.:]{1,64}$/.test(accountId)) {
      throw new OmsUserError('INVALID_ACCOUNT_ID', 'accountId: 1–64 letters, digits, "_", "." or ":".');
    }
    return this.withAccount(accountId, ctx, () => ({
      type: 'SetRiskLimits',
      data: { accountId, limits },
      metadata: { now: this.clock() },
    }));
  }

  haltTrading(scope: HaltScope, id: string | null, reason: string, ctx: CommandContext): Promise<void> {
    return this.switchTrading(scope, id, reason, ctx);
  }

  resumeTrading(scope: HaltScope, id: string | null, ctx: CommandContext): Promise<void> {
    return this.switchTrading(scope, id, null, ctx);
  }

  /** The kill switch at one scope: halted with a reason, or resumed (reason null). */
  private async switchTrading(
    scope: HaltScope,
    id: string | null,
    reason: string | null,
    ctx: CommandContext,
  ): Promise<void> {
    const now = this.clock();
    if (scope === 'GLOBAL') {
      await this.aggregates.execute(
        controlsDecider,
        CONTROLS_STREAM,
        reason === null
          ? { type: 'ResumeGlobalTrading', data: {}, metadata: { now } }
          : { type: 'HaltGlobalTrading', data: { reason }, metadata: { now } },
        metadataOf(ctx),
      );
      await this.reference.refresh(CONTROLS_STREAM);
    } else if (scope === 'ACCOUNT') {
      const accountId = requireId(scope, id);
      if (!(await this.accountExists(accountId)))
        throw new OmsUserError('UNKNOWN_ACCOUNT', `Account ${accountId} does not exist.`);
      await this.withAccount(accountId, ctx, () =>
        reason === null
          ? { type: 'ResumeTrading', data: { accountId }, metadata: { now } }
          : { type: 'HaltTrading', data: { accountId, reason }, metadata: { now } },
      );
    } else {
      const instrumentId = requireId(scope, id);
      await this.aggregates.execute(
        instrumentDecider,
        instrumentStream(instrumentId),
        reason === null
          ? { type: 'ResumeInstrument', data: { instrumentId }, metadata: { now } }
          : { type: 'HaltInstrument', data: { instrumentId, reason }, metadata: { now } },
        metadataOf(ctx),
      );
      await this.reference.refresh(instrumentStream(instrumentId));
    }
  }

  /** What pre-trade risk needs besides the order and the account: reference data, halts, a price. */
  private async marketInputs(instrumentId: string, now: Date): Promise<Omit<PreTradeRequest, 'order'>> {
    await this.reference.ready();
    const instrument = this.reference.instrument(instrumentId);
    return {
      instrument: instrument.instrument,
      instrumentHalt: instrument.halt,
      globalHalt: this.reference.globalControls.halt,
      referencePrice: this.prices.referencePrice(instrumentId, now),
    };
  }

  /**
   * Releases reservations whose order stream never appeared (the process died between reserving and
   * recording the order). Only accounts this process holds hot are swept; each process sweeps its own.
   */
  async sweepOrphanedReservations(olderThanMs: number, ctx: CommandContext): Promise<number> {
    let released = 0;
    const cutoff = this.clock().getTime() - olderThanMs;
    const open = new Set<string>();
    for (const [accountId, loaded] of this.accounts.held()) {
      for (const reservation of loaded.state.reservations.values()) {
        open.add(reservation.orderId);
        if (this.recordedOrders.has(reservation.orderId)) continue;
        if (Date.parse(reservation.reservedAt) > cutoff) continue;
        if ((await this.store.streamRevision(orderStream(reservation.orderId))) !== null) {
          this.recordedOrders.add(reservation.orderId);
          continue;
        }
        await this.withAccount(accountId, ctx, () => ({
          type: 'ReleaseExposure',
          data: {
            accountId,
            orderId: reservation.orderId,
            reason: 'orphaned reservation: no order was recorded',
            sourceSequence: null,
          },
          metadata: { now: this.clock() },
        }));
        released++;
      }
    }
    for (const orderId of this.recordedOrders) if (!open.has(orderId)) this.recordedOrders.delete(orderId);
    return released;
  }

  async defineInstrument(definition: InstrumentDefinition, ctx: CommandContext): Promise<void> {
    await this.aggregates.execute(
      instrumentDecider,
      instrumentStream(definition.instrumentId),
      { type: 'DefineInstrument', data: definition, metadata: { now: this.clock() } },
      metadataOf(ctx),
    );
    await this.reference.refresh(instrumentStream(definition.instrumentId));
  }
}

function requireId(scope: HaltScope, id: string | null): string {
  if (!id)
    throw new OmsUserError('ID_REQUIRED', `A ${scope} halt needs the id of the ${scope.toLowerCase()}.`);
  return id;
}

/** Input no order can be made of: refused before any decision, nothing appended. */
function validateShape(request: PlaceOrderRequest): void {
  if (!request.quantity.isPositive()) {
    throw new OmsUserError(
      'INVALID_QUANTITY',
      `Quantity must be greater than zero (got ${request.quantity}).`,
    );
  }
  if (request.type === 'LIMIT' && request.limitPrice === null) {
    throw new OmsUserError('LIMIT_PRICE_REQUIRED', 'A LIMIT order needs a limitPrice.');
  }
  if (request.limitPrice !== null && !request.limitPrice.isPositive()) {
    throw new OmsUserError(
      'INVALID_PRICE',
      `limitPrice must be greater than zero (got ${request.limitPrice}).`,
    );
  }
}
