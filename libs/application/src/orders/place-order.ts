import {
  Decimal,
  Instrument,
  Order,
  OrderCommand,
  OrderState,
  OrderTerms,
  OrderType,
  PreTradeRequest,
  ReferencePrice,
  Rejection,
  RiskLimits,
  Side,
  TimeInForce,
  OffsetType,
  TriggerType,
  TypedOrderFields,
  dec,
  isTriggeredType,
  marketProtectionPrice,
  orderDecider,
  orderFieldProblem,
  riskReferenceOf,
  isoTimestamp,
  sessionEndAfter,
} from '@oms/domain';
import { GlobalPosition, NO_STREAM } from '@oms/event-store';
import { Clock } from '@oms/platform';
import { HotAccounts, abandoned } from '../accounts/hot-accounts';
import { AggregateStore, decideToAppend } from '../aggregates/aggregate-store';
import { KeyedQueue } from '../aggregates/keyed-queue';
import { CommandContext, metadataOf } from '../command-context';
import { ReferenceData } from '../reference/reference-data';
import { ReferencePriceSource } from '../reference/reference-prices';
import { Refusal } from '../refusal';
import { orderStream } from '../streams';
import { IntakeGate } from './intake-gate';
import { orderIdFor } from './order-id';

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
  /** GTD only: when the order expires (ISO-8601 UTC). */
  expireAt?: string | null;
  /** Type-dependent fields (see orderFieldProblem): each type takes only those it uses. */
  stopPrice?: Decimal | null;
  trailingOffset?: Decimal | null;
  trailingOffsetType?: OffsetType | null;
  limitOffset?: Decimal | null;
  triggerType?: TriggerType | null;
  postOnly?: boolean | null;
  displayQuantity?: Decimal | null;
  /** Placed by an order list, as one of its legs (never from a client: the list sets it). */
  listId?: string | null;
}

export interface PlaceOrderOutcome {
  accepted: boolean;
  order: Order;
  rejections: Rejection[];
}

/** How many recently placed order ids are remembered as likely retries. */
const RECENT_ORDERS = 100_000;

const NEW_ORDER: OrderState = orderDecider.initialState();

/**
 * Placing an order: the order id from (account, client order id), pre-trade risk on the hot account
 * (which reserves the order's exposure or lists every failed check) and the order's first event
 * (`OrderAccepted`, or `OrderRejected` with the checks), appended in one atomic append: one durable
 * commit per order. A repeat of the same request answers as the first time; another order under the
 * same client order id is refused. Commands for one order id run
 * one at a time in this process (the order queue is shared with cancels and replaces).
 */
export class PlaceOrderProcess {
  /** Order ids placed here lately, oldest first: a request for one of them is most likely a retry. */
  private readonly recentOrders = new Set<string>();

  constructor(
    private readonly aggregates: AggregateStore,
    private readonly accounts: HotAccounts,
    private readonly reference: ReferenceData,
    private readonly prices: ReferencePriceSource,
    private readonly orderQueue: KeyedQueue,
    private readonly clock: Clock,
    /** The intake limit; none: every order is decided. */
    private readonly intake: IntakeGate | null = null,
  ) {}

  place(request: PlaceOrderRequest, ctx: CommandContext): Promise<PlaceOrderOutcome> {
    const orderId = orderIdFor(request.accountId, request.clientOrderId);
    return this.orderQueue.run(orderId, () => this.placeNow(orderId, request, ctx));
  }

  private async placeNow(
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
      ...(request.expireAt ? { expireAt: request.expireAt } : {}),
      ...typedTermsOf(request),
    };
    const stream = orderStream(orderId);
    // A retry of an order placed here lately: answer from the order without touching the account.
    // Any other existing order is found by the order append below (expected: no stream).
    if (this.recentOrders.has(orderId)) {
      const existing = await this.aggregates.load(orderDecider, stream);
      if (existing.state.exists) return this.repeated(existing.state, terms);
    }
    this.remember(orderId);
    if (ctx.signal?.aborted) throw abandoned();
    const ticket = await this.intake?.admit();
    try {
      const placed = await this.decide(stream, terms, request, ctx);
      if (placed.outcome.accepted && placed.position) ticket?.accepted(placed.position);
      return placed.outcome;
    } finally {
      ticket?.release();
    }
  }

  /** Risk and the order's first event, decided and written together; a repeat answered as before. */
  private async decide(
    stream: string,
    terms: OrderTerms,
    request: PlaceOrderRequest,
    ctx: CommandContext,
  ): Promise<{
    outcome: PlaceOrderOutcome;
    /** Of what was written; null for a repeat. */ position: GlobalPosition | null;
  }> {
    const now = new Date(this.clock.now());
    const market = await this.reference.preTradeInputs(request.instrumentId, this.prices, now);
    if (!market.instrument) {
      throw new Refusal('UNKNOWN_INSTRUMENT', `Instrument ${request.instrumentId} is not defined.`);
    }
    const preTrade: PreTradeRequest = { order: terms, ...market };
    const metadata = metadataOf(ctx);
    const instrument = market.instrument;
    // Risk on the hot account and the order's first event, decided together and written in one
    // atomic append: the reservation never exists without its order.
    const outcome = await this.accounts.decideJoined(
      request.accountId,
      () => ({
        type: 'ReserveExposure',
        data: { accountId: request.accountId, request: preTrade },
        metadata: { now },
      }),
      metadata,
      true,
      {
        stream,
        expectedRevision: NO_STREAM,
        signal: ctx.signal,
        decide: ({ rejections, state: account }) => {
          const command: OrderCommand = {
            type: 'PlaceOrder',
            data: {
              terms,
              rejections,
              reference: riskReferenceOf(market.referencePrice),
              sessionEnd:
                terms.timeInForce === 'DAY'
                  ? isoTimestamp(new Date(sessionEndAfter(instrument.session, now.getTime())))
                  : null,
              protectionPrice: protectionOf(
                terms,
                rejections,
                market.referencePrice,
                account.limits,
                instrument,
              ),
            },
            metadata: { now },
          };
          const { events, after } = decideToAppend(orderDecider, command, NEW_ORDER, metadata);
          const placed: PlaceOrderOutcome = {
            accepted: rejections.length === 0,
            order: after as Order,
            rejections,
          };
          return { events, value: placed };
        },
      },
    );
    if ('joined' in outcome) {
      return { outcome: outcome.joined, position: outcome.position };
    }
    // The order existed already (placed before, or by another process just now): its outcome stands,
    // and nothing of this request was written.
    const existing = await this.aggregates.load(orderDecider, stream);
    if (!existing.state.exists) throw outcome.conflict;
    return { outcome: this.repeated(existing.state, terms), position: null };
  }

  private remember(orderId: string): void {
    this.recentOrders.delete(orderId);
    this.recentOrders.add(orderId);
    if (this.recentOrders.size > RECENT_ORDERS) {
      this.recentOrders.delete(this.recentOrders.values().next().value as string);
    }
  }

  /** The same request again answers as the first time; another order under the same id is refused. */
  private repeated(order: Order, terms: OrderTerms): PlaceOrderOutcome {
    const decision = orderDecider.decide(
      { type: 'PlaceOrder', data: { terms, rejections: [] }, metadata: { now: new Date(this.clock.now()) } },
      order,
    );
    if (!decision.accepted) throw Refusal.of(decision.rejections);
    return {
      accepted: order.status !== 'REJECTED' || order.rejections.length === 0,
      order,
      rejections: order.rejections,
    };
  }
}

/** Input no order can be made of: refused before any decision, nothing appended. */
function validateShape(request: PlaceOrderRequest): void {
  if (!request.quantity.isPositive()) {
    throw new Refusal('INVALID_QUANTITY', `Quantity must be greater than zero (got ${request.quantity}).`);
  }
  const problem = orderFieldProblem(typedFieldsOf(request));
  if (problem) throw new Refusal(problem.code, problem.message);
  if (request.displayQuantity && request.displayQuantity.gt(request.quantity)) {
    throw new Refusal(
      'INVALID_QUANTITY',
      `displayQuantity ${request.displayQuantity} is more than the order's quantity ${request.quantity}.`,
    );
  }
}

/** The fields of a request that depend on its type, as the domain's field rules read them. */
export function typedFieldsOf(
  request: Pick<
    PlaceOrderRequest,
    'limitPrice' | 'type' | keyof Omit<TypedOrderFields, 'type' | 'limitPrice'>
  >,
): TypedOrderFields {
  return {
    type: request.type,
    limitPrice: request.limitPrice,
    stopPrice: request.stopPrice ?? null,
    trailingOffset: request.trailingOffset ?? null,
    trailingOffsetType: request.trailingOffsetType ?? null,
    limitOffset: request.limitOffset ?? null,
    triggerType: request.triggerType ?? null,
    postOnly: request.postOnly ?? false,
    displayQuantity: request.displayQuantity ?? null,
  };
}

/** The type-dependent terms, with their defaults made explicit (a trigger on the LAST trade, offsets in price). */
export function typedTermsOf(
  request: Pick<PlaceOrderRequest, 'type' | keyof Omit<TypedOrderFields, 'type' | 'limitPrice'> | 'listId'>,
): Partial<OrderTerms> {
  const terms: Partial<OrderTerms> = {};
  if (request.stopPrice) terms.stopPrice = request.stopPrice.toString();
  if (request.trailingOffset) {
    terms.trailingOffset = request.trailingOffset.toString();
    terms.trailingOffsetType = request.trailingOffsetType ?? 'PRICE';
  }
  if (request.limitOffset) terms.limitOffset = request.limitOffset.toString();
  if (isTriggeredType(request.type)) terms.triggerType = request.triggerType ?? 'LAST';
  if (request.postOnly) terms.postOnly = true;
  if (request.displayQuantity) terms.displayQuantity = request.displayQuantity.toString();
  if (request.listId) terms.listId = request.listId;
  return terms;
}

/**
 * The worst price an accepted order may trade at when it goes out as a market: a MARKET order's collar
 * edge beyond the reference price; a STOP's beyond its stop price (what it is sent at when a venue holds
 * it natively, as a stop-limit; released by the OMS, it is priced again from the market then).
 */
export function protectionOf(
  terms: Pick<OrderTerms, 'type' | 'side' | 'stopPrice'>,
  rejections: readonly Rejection[],
  reference: ReferencePrice | null,
  limits: RiskLimits | null,
  instrument: Instrument,
): string | null {
  if (rejections.length > 0 || !limits) return null;
  const from =
    terms.type === 'MARKET'
      ? (reference?.price ?? null)
      : terms.type === 'STOP'
        ? dec(terms.stopPrice!)
        : null;
  return from === null
    ? null
    : marketProtectionPrice(terms.side, from, limits.priceCollarFraction, instrument.tickSize).toString();
}
