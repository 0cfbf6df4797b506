import {
  ContingencyType,
  Decimal,
  LegRole,
  LegTemplate,
  MemberState,
  OrderListEvent,
  OrderListState,
  OrderTerms,
  PlacedLeg,
  nextLegClientOrderIds,
  orderDecider,
  orderListDecider,
  orderFieldProblem,
  takesLimitPrice,
} from '@oms/domain';
import { EventStore } from '@oms/event-store';
import { Clock, Logger } from '@oms/platform';
import { AggregateStore } from '../aggregates/aggregate-store';
import { CommandContext, metadataOf } from '../command-context';
import { Processor, ProcessorDeps } from '../processing/processor';
import { Recorded } from '../recorded';
import { Refusal } from '../refusal';
import { orderIdOf, orderListStream, orderStream } from '../streams';
import { orderIdFor } from '../orders/order-id';
import { PlaceOrderOutcome, PlaceOrderRequest, typedFieldsOf, typedTermsOf } from '../orders/place-order';

/** How a list's decisions reach its orders: the same place, cancel and replace a client would use. */
export interface OrderListEffectsPort {
  place(request: PlaceOrderRequest, ctx: CommandContext): Promise<PlaceOrderOutcome>;
  cancel(orderId: string, reason: string, ctx: CommandContext): Promise<unknown>;
  replace(orderId: string, quantity: Decimal, ctx: CommandContext): Promise<unknown>;
}

export interface PlaceOrderListRequest {
  accountId: string;
  clientListId: string;
  contingency: ContingencyType;
  legs: LegTemplate[];
}

/**
 * A leg as a client asks for it: an order request but for the account and client order id (the
 * list's); a bracket exit's quantity may be left out (it is sized to what the entry fills).
 */
export interface ListLegRequest extends Omit<
  PlaceOrderRequest,
  'accountId' | 'clientOrderId' | 'quantity' | 'listId'
> {
  key: string;
  role: LegRole;
  quantity: Decimal | null;
}

/**
 * The legs as the list records them: each leg's terms as placing it would make them (its defaults
 * explicit); a bracket's exits carry the entry's quantity until the entry fills.
 */
export function legTemplatesOf(contingency: ContingencyType, legs: readonly ListLegRequest[]): LegTemplate[] {
  const entry = legs.find((l) => l.role === 'ENTRY');
  return legs.map((leg) => {
    // Checked as it is asked for: the terms below keep only the fields its type uses.
    const problem = orderFieldProblem(typedFieldsOf(leg));
    if (problem) throw new Refusal(problem.code, `Leg ${leg.key}: ${problem.message}`);
    const exit = contingency === 'BRACKET' && leg.role !== 'ENTRY';
    const quantity = exit ? (entry?.quantity ?? leg.quantity) : leg.quantity;
    if (!quantity) throw new Refusal('QUANTITY_REQUIRED', `Leg ${leg.key} needs a quantity.`);
    return {
      key: leg.key,
      role: leg.role,
      terms: {
        instrumentId: leg.instrumentId,
        side: leg.side,
        type: leg.type,
        timeInForce: leg.timeInForce,
        quantity: quantity.toString(),
        limitPrice: leg.limitPrice?.toString() ?? null,
        venueId: leg.venueId ?? null,
        ...(leg.expireAt ? { expireAt: leg.expireAt } : {}),
        ...typedTermsOf(leg),
      },
    };
  });
}

export const ORDER_LIST_ACTOR = 'system:order-lists';
/** What a list does on its own (after its members' changes) is done as the list. */
const listContext = (listId: string): CommandContext => ({
  actor: ORDER_LIST_ACTOR,
  correlationId: `list-${listId}`,
});

/** The list's id: from (account, client list id), like an order's, so placing a list is idempotent. */
export const orderListIdFor = (accountId: string, clientListId: string) =>
  orderIdFor(accountId, `list:${clientListId}`);

/**
 * Contingent order lists: placed (the list, then the legs that go out at once), reconciled whenever a
 * member order changes (what the list decides — place, resize, cancel — recorded on the list, then
 * done through the same commands a client uses, each idempotent), and canceled as a whole.
 */
export class OrderLists {
  private effects: OrderListEffectsPort | null = null;

  constructor(
    private readonly aggregates: AggregateStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The commands the list's decisions go through (bound once the CommandBus exists). */
  connect(effects: OrderListEffectsPort): void {
    this.effects = effects;
  }

  async place(
    request: PlaceOrderListRequest,
    ctx: CommandContext,
  ): Promise<{ list: OrderListState; legs: Map<string, PlaceOrderOutcome> }> {
    const listId = orderListIdFor(request.accountId, request.clientListId);
    for (const leg of request.legs) {
      // Every leg's shape now, not when it is first placed (a bracket's exits, after the entry fills).
      const problem = orderFieldProblem(
        typedFieldsOf(legRequest(request.accountId, listId, leg, leg.key, leg.terms.quantity)),
      );
      if (problem) throw new Refusal(problem.code, `Leg ${leg.key}: ${problem.message}`);
    }
    const placed = await this.aggregates.execute(
      orderListDecider,
      orderListStream(listId),
      {
        type: 'PlaceOrderList',
        data: { listId, ...request },
        metadata: { now: new Date(this.clock.now()) },
      },
      metadataOf(ctx),
    );
    if (!placed.accepted) throw Refusal.of(placed.rejections);
    const state = placed.after.state;
    if (state.exists && !sameList(state, request)) {
      throw new Refusal(
        'DUPLICATE_CLIENT_LIST_ID',
        `Client list id ${request.clientListId} was already used on account ${request.accountId} for a different list.`,
      );
    }
    const { list } = await this.reconcile(listId, ctx);
    // Every leg placed so far, placed (again: it is idempotent) and answered, whoever decided it: the
    // processor may have reconciled the new list first, and be placing its legs just now.
    return { list, legs: await this.carryOut(list, placedLegs(list), ctx) };
  }

  async cancel(listId: string, reason: string, ctx: CommandContext): Promise<OrderListState> {
    const outcome = await this.aggregates.execute(
      orderListDecider,
      orderListStream(listId),
      { type: 'CancelOrderList', data: { listId, reason }, metadata: { now: new Date(this.clock.now()) } },
      metadataOf(ctx),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    return (await this.reconcile(listId, ctx)).list;
  }

  /** The order placed for a leg before `orderId` (a leg placed again), as it stands; null if none. */
  private async earlierOrder(placed: readonly PlacedLeg[], orderId: string): Promise<OrderTerms | null> {
    const before = placed
      .slice(
        0,
        placed.findIndex((p) => p.orderId === orderId),
      )
      .filter((p) => !p.failed);
    const last = before[before.length - 1];
    if (!last) return null;
    const { state } = await this.aggregates.load(orderDecider, orderStream(last.orderId));
    return state.exists ? state.terms : null;
  }

  private async recordFailure(
    listId: string,
    orderId: string,
    refusal: Refusal,
    ctx: CommandContext,
  ): Promise<void> {
    // Placed meanwhile after all (another process, a retry): not a failure.
    const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
    if (state.exists) return;
    await this.aggregates.execute(
      orderListDecider,
      orderListStream(listId),
      {
        type: 'RecordLegFailure',
        data: { listId, orderId, code: refusal.code, reason: refusal.message },
        metadata: { now: new Date(this.clock.now()) },
      },
      metadataOf(ctx),
    );
  }

  /** A new quantity for the whole list (see ReplaceOrderList), carried out as `ctx`. */
  async replace(listId: string, quantity: Decimal, ctx: CommandContext): Promise<OrderListState> {
    const outcome = await this.aggregates.execute(
      orderListDecider,
      orderListStream(listId),
      {
        type: 'ReplaceOrderList',
        data: { listId, quantity: quantity.toString() },
        metadata: { now: new Date(this.clock.now()) },
      },
      metadataOf(ctx),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    await this.carryOut(outcome.after.state, outcome.events, ctx);
    return outcome.after.state;
  }

  load(listId: string): Promise<OrderListState> {
    return this.aggregates.load(orderListDecider, orderListStream(listId)).then((l) => l.state);
  }

  /**
   * Decides what the members' states call for, records it on the list, and carries it out. Run after
   * every change of a member (by the processor) and after the list's own commands.
   */
  async reconcile(
    listId: string,
    ctx: CommandContext,
  ): Promise<{ list: OrderListState; legs: Map<string, PlaceOrderOutcome> }> {
    const loaded = await this.aggregates.load(orderListDecider, orderListStream(listId));
    const list = loaded.state;
    if (!list.exists) throw new Refusal('ORDER_LIST_NOT_FOUND', `Order list ${listId} does not exist.`);
    const members: Record<string, MemberState> = {};
    for (const leg of Object.values(list.legs)) {
      for (const placed of leg.placed) {
        const { state } = await this.aggregates.load(orderDecider, orderStream(placed.orderId));
        if (state.exists) {
          members[placed.orderId] = {
            status: state.status,
            orderQty: state.orderQty.toString(),
            cumQty: state.cumQty.toString(),
          };
        }
      }
    }
    const orderIdOf = Object.fromEntries(
      nextLegClientOrderIds(list).map((clientOrderId) => [
        clientOrderId,
        orderIdFor(list.accountId, clientOrderId),
      ]),
    );
    const outcome = await this.aggregates.execute(
      orderListDecider,
      orderListStream(listId),
      {
        type: 'ReconcileList',
        data: { listId, members, orderIdOf },
        metadata: { now: new Date(this.clock.now()) },
      },
      metadataOf(ctx),
      loaded,
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    const after = outcome.after.state;
    return { list: after, legs: await this.carryOut(after, outcome.events, ctx) };
  }

  /**
   * Carries out the list's decisions, as `ctx` (the trader, for what its own request placed; the list
   * itself afterwards); each is idempotent, so carrying one out twice changes nothing. A leg refused
   * before its order existed is recorded on the list as failed (it counts as rejected).
   */
  async carryOut(
    list: OrderListState,
    events: OrderListEvent[],
    ctx: CommandContext,
  ): Promise<Map<string, PlaceOrderOutcome>> {
    const outcomes = new Map<string, PlaceOrderOutcome>();
    if (!list.exists || events.length === 0) return outcomes;
    const effects = this.effects;
    if (!effects) throw new Error('order lists are not connected to the command bus');
    for (const event of events) {
      try {
        if (event.type === 'ListLegPlaced') {
          const leg = list.legs[event.data.key];
          const template = withPricesOf(
            leg.template,
            await this.earlierOrder(leg.placed, event.data.orderId),
          );
          outcomes.set(
            event.data.key,
            await effects.place(
              legRequest(
                list.accountId,
                list.listId,
                template,
                event.data.clientOrderId,
                event.data.quantity,
              ),
              ctx,
            ),
          );
        } else if (event.type === 'ListLegResized') {
          await effects.replace(event.data.orderId, Decimal.parse(event.data.quantity), ctx);
        } else if (event.type === 'ListLegCanceled') {
          await effects.cancel(event.data.orderId, event.data.reason, ctx);
        }
      } catch (error) {
        // Refused (the order ended meanwhile, risk said no): the next reconcile sees where it stands.
        if (!(error instanceof Refusal)) throw error;
        this.log.warn({ listId: list.listId, event: event.type, code: error.code }, error.message);
        if (event.type === 'ListLegPlaced')
          await this.recordFailure(list.listId, event.data.orderId, error, ctx);
      }
    }
    return outcomes;
  }
}

/** The list's placements as events, to carry out again (placing a leg twice changes nothing). */
function placedLegs(list: OrderListState): OrderListEvent[] {
  if (!list.exists) return [];
  return Object.values(list.legs).flatMap((leg) =>
    leg.placed.map((p): OrderListEvent => ({
      type: 'ListLegPlaced',
      data: { listId: list.listId, ...p, reason: 'placed with the list', at: '' },
    })),
  );
}

/**
 * A leg placed again goes out at the prices its earlier order had last (a stop-loss the trader moved,
 * a take-profit repriced), not at those the list was placed with.
 */
export function withPricesOf(template: LegTemplate, earlier: OrderTerms | null): LegTemplate {
  if (!earlier || earlier.type !== template.terms.type) return template;
  // Only the prices the leg's type takes (a released trailing stop-limit had a limit of its own).
  const { type } = template.terms;
  return {
    ...template,
    terms: {
      ...template.terms,
      ...(takesLimitPrice(type) ? { limitPrice: earlier.limitPrice } : {}),
      ...(template.terms.stopPrice !== undefined && earlier.stopPrice !== undefined
        ? { stopPrice: earlier.stopPrice }
        : {}),
    },
  };
}

/** The request that places a leg's order. */
function legRequest(
  accountId: string,
  listId: string,
  template: LegTemplate,
  clientOrderId: string,
  quantity: string,
): PlaceOrderRequest {
  const t = template.terms;
  const dec = (v: string | undefined | null) => (v ? Decimal.parse(v) : null);
  return {
    accountId,
    clientOrderId,
    instrumentId: t.instrumentId,
    side: t.side,
    type: t.type,
    quantity: Decimal.parse(quantity),
    limitPrice: dec(t.limitPrice),
    timeInForce: t.timeInForce,
    venueId: t.venueId,
    expireAt: t.expireAt ?? null,
    stopPrice: dec(t.stopPrice),
    trailingOffset: dec(t.trailingOffset),
    trailingOffsetType: t.trailingOffsetType ?? null,
    limitOffset: dec(t.limitOffset),
    triggerType: t.triggerType ?? null,
    postOnly: t.postOnly ?? null,
    displayQuantity: dec(t.displayQuantity),
    listId,
  };
}

function sameList(list: Extract<OrderListState, { exists: true }>, request: PlaceOrderListRequest): boolean {
  return (
    list.contingency === request.contingency &&
    JSON.stringify(list.placedLegs) === JSON.stringify(request.legs)
  );
}

const LIST_EVENTS = [
  'OrderListPlaced',
  'OrderListCancelRequested',
  'ListLegPlaced',
  'ListLegResized',
  'ListLegCanceled',
] as const;
const MEMBER_EVENTS = [
  'OrderAccepted',
  'OrderRejected',
  'OrderFilled',
  'OrderCanceled',
  'OrderExpired',
  'OrderRejectedByVenue',
  'OrderReplaced',
  'OrderRestated',
  'TradeBusted',
  'TradeCorrected',
] as const;
type ListProcessorEvent = (typeof LIST_EVENTS)[number] | (typeof MEMBER_EVENTS)[number];

/**
 * Follows the log for the lists: a member order that changed has its list reconciled; a list's own
 * decisions are carried out again after a crash (placing, resizing and canceling are idempotent).
 * One active instance (a lock), in the ledger's process.
 */
export class OrderListProcessor {
  readonly processor: Processor<ListProcessorEvent>;
  /** Order → its list (null: a standalone order), learned once per order. */
  private readonly listOf = new Map<string, string | null>();

  constructor(
    private readonly lists: OrderLists,
    private readonly aggregates: AggregateStore,
    store: EventStore,
    clock: Clock,
    deps: Omit<ProcessorDeps, 'store' | 'clock'>,
  ) {
    this.processor = new Processor(
      {
        name: 'order-lists',
        canHandle: [...LIST_EVENTS, ...MEMBER_EVENTS],
        handle: async (events) => {
          const touched = new Set<string>();
          for (const event of events) {
            const listId = await this.listIdOf(event);
            if (listId === null) continue;
            if (
              event.type === 'ListLegPlaced' ||
              event.type === 'ListLegResized' ||
              event.type === 'ListLegCanceled'
            ) {
              const list = await this.lists.load(listId);
              const decided = { type: event.type, data: event.data } as OrderListEvent;
              await this.lists.carryOut(list, [decided], listContext(listId));
            }
            touched.add(listId);
          }
          for (const listId of touched) await this.lists.reconcile(listId, listContext(listId));
        },
      },
      { ...deps, store, clock },
    );
  }

  private async listIdOf(event: Recorded<ListProcessorEvent>): Promise<string | null> {
    if (event.streamName.startsWith('orderlist-')) return (event.data as { listId: string }).listId;
    const orderId = orderIdOf(event.streamName);
    if (event.type === 'OrderAccepted' || event.type === 'OrderRejected') {
      const listId = (event.data as OrderTerms).listId ?? null;
      this.remember(orderId, listId);
      return listId;
    }
    const known = this.listOf.get(orderId);
    if (known !== undefined) return known;
    const { state } = await this.aggregates.load(orderDecider, orderStream(orderId), undefined, {
      toRevision: 0n,
    });
    const listId = state.exists ? (state.terms.listId ?? null) : null;
    this.remember(orderId, listId);
    return listId;
  }

  /** The latest 100,000 orders are remembered; an older one is looked up again if it comes back. */
  private remember(orderId: string, listId: string | null): void {
    this.listOf.set(orderId, listId);
    if (this.listOf.size > 100_000) this.listOf.delete(this.listOf.keys().next().value as string);
  }
}
