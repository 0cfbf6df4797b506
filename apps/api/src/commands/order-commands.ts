import {
  AccountCommand,
  AccountEvent,
  AccountState,
  Decimal,
  InstrumentDefinition,
  Order,
  OrderTerms,
  OrderType,
  PreTradeRequest,
  Rejection,
  RiskLimitsData,
  Side,
  TimeInForce,
  accountDecider,
  controlsDecider,
  decideAccount,
  instrumentDecider,
  orderDecider,
} from '@oms/domain';
import { EventMetadata, EventStore, NO_STREAM, WrongExpectedVersion } from '@oms/event-store';
import { OmsUserError } from '../graphql/errors';
import { orderIdFor } from '../orders/order-id';
import { AggregateStore, Loaded } from './aggregate-store';
import { KeyedQueue } from './keyed-queue';
import { ReferencePriceSource } from './reference-prices';
import { CONTROLS_STREAM, accountStream, instrumentStream, orderStream } from './streams';

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
  private readonly accounts = new Map<string, Loaded<AccountState>>();
  private readonly accountQueue = new KeyedQueue();
  private readonly orderQueue = new KeyedQueue();

  constructor(
    private readonly store: EventStore,
    private readonly prices: ReferencePriceSource,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.aggregates = new AggregateStore(store);
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
    const existing = await this.aggregates.load(orderDecider, stream);
    if (existing.state.exists) return this.repeated(existing.state, terms);

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

    try {
      const { after } = await this.aggregates.execute(
        orderDecider,
        stream,
        { type: 'PlaceOrder', data: { terms, rejections }, metadata: { now } },
        metadataOf(ctx),
        existing,
      );
      return { accepted: rejections.length === 0, order: after.state as Order, rejections };
    } catch (error) {
      // Another process created this order between our read and our append: its outcome stands.
      if (!(error instanceof WrongExpectedVersion) && !(error instanceof OmsUserError)) throw error;
      if (rejections.length === 0) {
        await this.withAccount(
          request.accountId,
          ctx,
          () =>
            ({
              type: 'ReleaseExposure',
              data: {
                accountId: request.accountId,
                orderId,
                reason: 'duplicate request placed elsewhere',
                sourceSequence: null,
              },
              metadata: { now: this.clock() },
            }) as AccountCommand,
        ).catch(() => undefined); // the sweeper releases it otherwise
      }
      const current = await this.aggregates.load(orderDecider, stream);
      if (!current.state.exists) throw error;
      return this.repeated(current.state, terms);
    }
  }

  /** The pre-trade decision on the hot account: reserves exposure, or returns every failed check. */
  private reserve(accountId: string, command: AccountCommand, ctx: CommandContext): Promise<Rejection[]> {
    return this.accountQueue.run(accountId, async () => {
      let account = await this.hotAccount(accountId);
      // Not known here yet; another instance may have created it since this one looked.
      if (account.revision === null) account = await this.refreshAccount(accountId);
      if (account.revision === null)
        throw new OmsUserError('UNKNOWN_ACCOUNT', `Account ${accountId} does not exist.`);
      for (let attempt = 0; ; attempt++) {
        const decision = decideAccount(command, account.state);
        if (!decision.accepted) return decision.rejections;
        try {
          await this.appendAccount(accountId, account, decision.events, ctx);
          return [];
        } catch (error) {
          if (!(error instanceof WrongExpectedVersion) || attempt >= 20) throw error;
          account = await this.refreshAccount(accountId);
        }
      }
    });
  }

  /** Runs an account command through the decider (refusals throw OmsUserError) and keeps the cache hot. */
  withAccount(
    accountId: string,
    ctx: CommandContext,
    make: (account: AccountState) => AccountCommand,
  ): Promise<AccountState> {
    return this.accountQueue.run(accountId, async () => {
      const loaded = await this.hotAccount(accountId);
      const { after } = await this.aggregates.execute(
        accountDecider,
        accountStream(accountId),
        make(loaded.state),
        metadataOf(ctx),
        loaded,
      );
      this.accounts.set(accountId, after);
      return after.state;
    });
  }

  private async appendAccount(
    accountId: string,
    account: Loaded<AccountState>,
    events: AccountEvent[],
    ctx: CommandContext,
  ): Promise<void> {
    const result = await this.store.appendToStream(
      accountStream(accountId),
      events.map((e) => ({ type: e.type, data: e.data, metadata: metadataOf(ctx) })),
      account.revision ?? NO_STREAM,
    );
    this.accounts.set(accountId, {
      state: events.reduce(accountDecider.evolve, account.state),
      revision: result.nextExpectedRevision,
    });
  }

  private async hotAccount(accountId: string): Promise<Loaded<AccountState>> {
    return this.accounts.get(accountId) ?? this.refreshAccount(accountId);
  }

  private async refreshAccount(accountId: string): Promise<Loaded<AccountState>> {
    const loaded = await this.aggregates.load(
      accountDecider,
      accountStream(accountId),
      this.accounts.get(accountId),
    );
    this.accounts.set(accountId, loaded);
    return loaded;
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (
      (await this.hotAccount(accountId)).revision !== null ||
      (await this.refreshAccount(accountId)).revision !== null
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
      if (rejections.length > 0) throw OmsUserError.fromRejections(rejections);
      const { after } = await this.aggregates.execute(orderDecider, stream, command, metadataOf(ctx), loaded);
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
    }
  }

  /** What pre-trade risk needs besides the order and the account: reference data, halts, a price. */
  private async marketInputs(instrumentId: string, now: Date): Promise<Omit<PreTradeRequest, 'order'>> {
    const [instrument, controls] = await Promise.all([
      this.aggregates.load(instrumentDecider, instrumentStream(instrumentId)),
      this.aggregates.load(controlsDecider, CONTROLS_STREAM),
    ]);
    return {
      instrument: instrument.state.instrument,
      instrumentHalt: instrument.state.halt,
      globalHalt: controls.state.halt,
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
    for (const [accountId, loaded] of [...this.accounts]) {
      for (const reservation of loaded.state.reservations.values()) {
        if (Date.parse(reservation.reservedAt) > cutoff) continue;
        if ((await this.store.streamRevision(orderStream(reservation.orderId))) !== null) continue;
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
    return released;
  }

  async defineInstrument(definition: InstrumentDefinition, ctx: CommandContext): Promise<void> {
    await this.aggregates.execute(
      instrumentDecider,
      instrumentStream(definition.instrumentId),
      { type: 'DefineInstrument', data: definition, metadata: { now: this.clock() } },
      metadataOf(ctx),
    );
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
