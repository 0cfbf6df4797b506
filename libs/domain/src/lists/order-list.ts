/**
 * Contingent orders: a list of orders whose fates are linked. OCO: one fills (or ends) and the others
 * are canceled. OTO: the primary's first fill places the secondaries. BRACKET: an entry whose fills
 * are protected by a take-profit limit and a stop-loss stop, both sized to what the entry filled and
 * the exits have not yet closed, one canceling (or shrinking) the other as they fill.
 *
 * The list decides from its members' states (read from their orders) what to place, resize or cancel
 * next; each of those is an event on the list, carried out by the order-list processor. Pure.
 */
import { Decimal, DecimalString, dec } from '../decimal/decimal';
import { Command, Decider, Decision, DomainEvent, accept, assertNever, reject } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import { OrderStatus, OrderTerms } from '../orders/order';

export const CONTINGENCY_TYPES = ['OCO', 'OTO', 'BRACKET'] as const;
export type ContingencyType = (typeof CONTINGENCY_TYPES)[number];

export const LEG_ROLES = ['MEMBER', 'PRIMARY', 'SECONDARY', 'ENTRY', 'TAKE_PROFIT', 'STOP_LOSS'] as const;
export type LegRole = (typeof LEG_ROLES)[number];

/** One leg as asked: its role, a key unique in the list, and the order's terms (without ids). */
export interface LegTemplate {
  key: string;
  role: LegRole;
  terms: Omit<OrderTerms, 'orderId' | 'clientOrderId' | 'accountId' | 'listId'>;
}

/** A leg the list placed: the order working for it now (a bracket exit may be placed again later). */
export interface PlacedLeg {
  key: string;
  orderId: string;
  clientOrderId: string;
  /** What the list asked of it last: placed at, or resized to. */
  quantity: DecimalString;
  /** Refused before any order existed (its code): it counts as a rejected order. */
  failed?: string;
}

export type OrderListPlaced = DomainEvent<
  'OrderListPlaced',
  {
    listId: string;
    accountId: string;
    clientListId: string;
    contingency: ContingencyType;
    legs: LegTemplate[];
    placedAt: string;
  }
>;
/** The list sends an order for a leg (clientOrderId `<clientListId>.<key>[.<n>]`). */
export type ListLegPlaced = DomainEvent<
  'ListLegPlaced',
  {
    listId: string;
    key: string;
    orderId: string;
    clientOrderId: string;
    quantity: DecimalString;
    reason: string;
    at: string;
  }
>;
/** A bracket exit follows the position it protects. */
export type ListLegResized = DomainEvent<
  'ListLegResized',
  { listId: string; key: string; orderId: string; quantity: DecimalString; reason: string; at: string }
>;
/** The list cancels a leg's order (its sibling filled, the list ended or was canceled). */
export type ListLegCanceled = DomainEvent<
  'ListLegCanceled',
  { listId: string; key: string; orderId: string; reason: string; at: string }
>;
/** A leg's order was refused before it existed (risk never saw it: an input check, an overload). */
export type ListLegFailed = DomainEvent<
  'ListLegFailed',
  { listId: string; key: string; orderId: string; code: string; reason: string; at: string }
>;
/** A new quantity for the whole list: the entry, the primary, or every OCO member. */
export type OrderListReplaceRequested = DomainEvent<
  'OrderListReplaceRequested',
  { listId: string; quantity: DecimalString; at: string }
>;
export type OrderListCancelRequested = DomainEvent<
  'OrderListCancelRequested',
  { listId: string; reason: string; at: string }
>;
export type OrderListEnded = DomainEvent<'OrderListEnded', { listId: string; reason: string; at: string }>;

export type OrderListEvent =
  | OrderListPlaced
  | ListLegPlaced
  | ListLegResized
  | ListLegCanceled
  | ListLegFailed
  | OrderListReplaceRequested
  | OrderListCancelRequested
  | OrderListEnded;

/** A member order as its own stream says it is now. */
export interface MemberState {
  status: OrderStatus;
  orderQty: DecimalString;
  cumQty: DecimalString;
}

export type PlaceOrderList = Command<
  'PlaceOrderList',
  {
    listId: string;
    accountId: string;
    clientListId: string;
    contingency: ContingencyType;
    legs: LegTemplate[];
  }
>;
/** Decide what the members' states call for; `orderIdOf` names the order a leg's client order id gets. */
export type ReconcileList = Command<
  'ReconcileList',
  { listId: string; members: Record<string, MemberState>; orderIdOf: Record<string, string> }
>;
export type CancelOrderList = Command<'CancelOrderList', { listId: string; reason: string }>;
export type RecordLegFailure = Command<
  'RecordLegFailure',
  { listId: string; orderId: string; code: string; reason: string }
>;
export type ReplaceOrderList = Command<'ReplaceOrderList', { listId: string; quantity: DecimalString }>;
export type OrderListCommand =
  PlaceOrderList | ReconcileList | CancelOrderList | RecordLegFailure | ReplaceOrderList;

interface LegState {
  template: LegTemplate;
  /** The orders placed for it, oldest first (a bracket exit may need a new one). */
  placed: PlacedLeg[];
  /** Orders the list asked to cancel. */
  canceled: string[];
}

export type OrderListState =
  | { exists: false }
  | {
      exists: true;
      listId: string;
      accountId: string;
      clientListId: string;
      contingency: ContingencyType;
      legs: Record<string, LegState>;
      /** The legs as placed (a repeat of the placement is recognised by them, replaced since or not). */
      placedLegs: LegTemplate[];
      cancelRequested: boolean;
      ended: boolean;
    };

const ENDED: readonly OrderStatus[] = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'];
const ended = (m: MemberState | undefined) => m !== undefined && ENDED.includes(m.status);

/** The client order id of a leg's n-th order (1-based): `<clientListId>.<key>`, then `.2`, `.3`... */
export function legClientOrderId(clientListId: string, key: string, n: number): string {
  return n === 1 ? `${clientListId}.${key}` : `${clientListId}.${key}.${n}`;
}

/** Which legs a contingency needs, and which go out at once. */
const SHAPES: Record<
  ContingencyType,
  { roles: (legs: LegTemplate[]) => string | null; immediate: LegRole[] }
> = {
  OCO: {
    roles: (legs) =>
      legs.length >= 2 && legs.every((l) => l.role === 'MEMBER')
        ? null
        : 'an OCO list is two or more MEMBER legs',
    immediate: ['MEMBER'],
  },
  OTO: {
    roles: (legs) =>
      legs.filter((l) => l.role === 'PRIMARY').length === 1 &&
      legs.some((l) => l.role === 'SECONDARY') &&
      legs.every((l) => l.role === 'PRIMARY' || l.role === 'SECONDARY')
        ? null
        : 'an OTO list is one PRIMARY leg and one or more SECONDARY legs',
    immediate: ['PRIMARY'],
  },
  BRACKET: {
    roles: (legs) => {
      const roles = legs.map((l) => l.role).sort();
      return roles.join() === ['ENTRY', 'STOP_LOSS', 'TAKE_PROFIT'].join()
        ? null
        : 'a BRACKET list is an ENTRY, a TAKE_PROFIT and a STOP_LOSS leg';
    },
    immediate: ['ENTRY'],
  },
};

function placeList(command: PlaceOrderList, state: OrderListState): Decision<OrderListEvent> {
  if (state.exists) return accept(); // placed already: the same list again
  const { listId, accountId, clientListId, contingency, legs } = command.data;
  const shape = SHAPES[contingency].roles(legs);
  if (shape) return reject('INVALID_ORDER_LIST', `${shape[0].toUpperCase()}${shape.slice(1)}.`);
  if (new Set(legs.map((l) => l.key)).size !== legs.length) {
    return reject('INVALID_ORDER_LIST', 'Each leg of a list needs its own key.');
  }
  if (legs.some((l) => !/^[A-Za-z0-9_]{1,8}$/.test(l.key))) {
    return reject('INVALID_ORDER_LIST', 'A leg key is 1–8 letters, digits or "_".');
  }
  if (contingency === 'BRACKET' && new Set(legs.map((l) => l.terms.instrumentId)).size !== 1) {
    return reject('INVALID_ORDER_LIST', 'A bracket’s legs trade one instrument.');
  }
  if (contingency === 'BRACKET') {
    const entry = legs.find((l) => l.role === 'ENTRY')!;
    const exits = legs.filter((l) => l.role !== 'ENTRY');
    if (exits.some((l) => l.terms.side === entry.terms.side)) {
      return reject('INVALID_ORDER_LIST', 'A bracket’s exits are on the other side of its entry.');
    }
    const tp = legs.find((l) => l.role === 'TAKE_PROFIT')!;
    const sl = legs.find((l) => l.role === 'STOP_LOSS')!;
    if (tp.terms.type !== 'LIMIT')
      return reject('INVALID_ORDER_LIST', 'A bracket’s TAKE_PROFIT is a LIMIT order.');
    if (!['STOP', 'STOP_LIMIT', 'TRAILING_STOP', 'TRAILING_STOP_LIMIT'].includes(sl.terms.type)) {
      return reject('INVALID_ORDER_LIST', 'A bracket’s STOP_LOSS is a stop or trailing stop order.');
    }
  }
  const at = isoTimestamp(command.metadata.now);
  const placed: OrderListEvent = {
    type: 'OrderListPlaced',
    data: { listId, accountId, clientListId, contingency, legs, placedAt: at },
  };
  return accept<OrderListEvent>(placed);
}

/** What the members' states call for, as events (the processor carries them out). */
function reconcile(command: ReconcileList, state: OrderListState): Decision<OrderListEvent> {
  if (!state.exists)
    return reject('ORDER_LIST_NOT_FOUND', `Order list ${command.data.listId} does not exist.`);
  if (state.ended) return accept();
  const at = isoTimestamp(command.metadata.now);
  const { members, orderIdOf } = command.data;
  const events: OrderListEvent[] = [];
  const member = (leg: LegState): MemberState | undefined => {
    const current = leg.placed[leg.placed.length - 1];
    if (!current) return undefined;
    if (current.failed) return { status: 'REJECTED', orderQty: current.quantity, cumQty: '0' };
    return members[current.orderId];
  };
  const current = (leg: LegState) => leg.placed[leg.placed.length - 1];
  const working = (leg: LegState) =>
    current(leg) !== undefined && !ended(member(leg)) && !leg.canceled.includes(current(leg).orderId);
  const place = (leg: LegState, quantity: Decimal, reason: string) => {
    const n = leg.placed.length + 1;
    const clientOrderId = legClientOrderId(state.clientListId, leg.template.key, n);
    events.push({
      type: 'ListLegPlaced',
      data: {
        listId: state.listId,
        key: leg.template.key,
        orderId: orderIdOf[clientOrderId],
        clientOrderId,
        quantity: quantity.toString(),
        reason,
        at,
      },
    });
  };
  const cancel = (leg: LegState, reason: string) =>
    events.push({
      type: 'ListLegCanceled',
      data: { listId: state.listId, key: leg.template.key, orderId: current(leg).orderId, reason, at },
    });
  const legs = Object.values(state.legs);
  const end = (reason: string) =>
    events.push({ type: 'OrderListEnded', data: { listId: state.listId, reason, at } });
  const allDone = () => legs.every((leg) => leg.placed.length === 0 || !working(leg) || ended(member(leg)));

  // Legs that go out at once, if not out yet (the list was placed, its legs not yet sent).
  if (!state.cancelRequested) {
    for (const leg of legs) {
      if (SHAPES[state.contingency].immediate.includes(leg.template.role) && leg.placed.length === 0) {
        place(leg, dec(leg.template.terms.quantity), 'placed with the list');
      }
    }
    if (events.length > 0) return accept(...events);
  }

  if (state.cancelRequested) {
    for (const leg of legs) if (working(leg)) cancel(leg, 'the list was canceled');
    if (events.length === 0 && allDone()) end('canceled');
    return accept(...events);
  }

  switch (state.contingency) {
    case 'OCO': {
      const done = legs.find((leg) => {
        const m = member(leg);
        return m !== undefined && (dec(m.cumQty).isPositive() || ended(m));
      });
      if (done) {
        const m = member(done)!;
        const why = dec(m.cumQty).isPositive()
          ? `${done.template.key} filled ${m.cumQty}`
          : `${done.template.key} ended ${m.status}`;
        for (const leg of legs) if (leg !== done && working(leg)) cancel(leg, `one cancels other: ${why}`);
      }
      break;
    }
    case 'OTO': {
      const primary = legs.find((l) => l.template.role === 'PRIMARY')!;
      const p = member(primary);
      if (p && dec(p.cumQty).isPositive()) {
        for (const leg of legs) {
          if (leg.template.role === 'SECONDARY' && leg.placed.length === 0) {
            place(
              leg,
              dec(leg.template.terms.quantity),
              `one triggers other: the primary filled ${p.cumQty}`,
            );
          }
        }
      }
      break;
    }
    case 'BRACKET': {
      const entry = legs.find((l) => l.template.role === 'ENTRY')!;
      const exits = legs.filter((l) => l.template.role !== 'ENTRY');
      const e = member(entry);
      const entryFilled = e ? dec(e.cumQty) : Decimal.ZERO;
      const entryDone = e === undefined || ended(e);
      const exitsFilled = exits.reduce(
        (sum, leg) => leg.placed.reduce((s, p) => s.plus(dec(members[p.orderId]?.cumQty ?? '0')), sum),
        Decimal.ZERO,
      );
      // What the entry filled and no exit has closed: what each exit protects.
      const open = Decimal.max(entryFilled.minus(exitsFilled), Decimal.ZERO);
      for (const leg of exits) {
        const m = member(leg);
        const cur = current(leg);
        if (working(leg) && m) {
          const filled = dec(m.cumQty);
          const target = filled.plus(open);
          const asked = dec(cur.quantity);
          if (open.isZero()) {
            cancel(leg, entryDone ? 'the position is closed' : 'nothing open to protect now');
          } else if (m.status === 'PENDING_REPLACE') {
            // A resize is on its way: its answer comes first.
          } else if (!dec(m.orderQty).eq(asked)) {
            // The last resize was refused (by risk or the venue). Holding more than the position
            // needs, the exit could close more than is open: it is canceled. Holding less, it stays.
            if (dec(m.orderQty).minus(filled).gt(open)) {
              cancel(leg, `its resize to ${asked} was refused and it holds more than the ${open} open`);
            }
          } else if (!target.eq(asked)) {
            events.push({
              type: 'ListLegResized',
              data: {
                listId: state.listId,
                key: leg.template.key,
                orderId: cur.orderId,
                quantity: target.toString(),
                reason: `protects ${open} open of the entry's ${entryFilled} filled`,
                at,
              },
            });
          }
        } else if (open.isPositive() && !working(leg)) {
          // Not out yet; or its last order ended filled, or canceled by the list, with a position
          // open again (the entry filled more); or it was refused, and the position has changed
          // since (a refusal of the same size would only repeat). One canceled by someone else is
          // not placed again: the trader said no.
          const last = member(leg);
          const again =
            cur === undefined ||
            (ended(last) && (last!.status === 'FILLED' || leg.canceled.includes(cur.orderId))) ||
            (last?.status === 'REJECTED' && !dec(cur.quantity).eq(open));
          if (again) place(leg, open, `protects ${open} of the entry's ${entryFilled} filled`);
        }
      }
      break;
    }
    default:
      return assertNever(state.contingency);
  }
  if (events.length === 0 && allDone()) end('every order ended');
  return accept(...events);
}

function recordLegFailure(command: RecordLegFailure, state: OrderListState): Decision<OrderListEvent> {
  if (!state.exists)
    return reject('ORDER_LIST_NOT_FOUND', `Order list ${command.data.listId} does not exist.`);
  const leg = Object.values(state.legs).find((l) => l.placed.some((p) => p.orderId === command.data.orderId));
  const placed = leg?.placed.find((p) => p.orderId === command.data.orderId);
  if (!leg || !placed || placed.failed) return accept();
  const { listId, orderId, code, reason } = command.data;
  return accept<OrderListEvent>({
    type: 'ListLegFailed',
    data: { listId, key: leg.template.key, orderId, code, reason, at: isoTimestamp(command.metadata.now) },
  });
}

/** The legs a whole-list replace sizes: a bracket's entry, an OTO's primary, every OCO member. */
const SIZED_ROLES: readonly LegRole[] = ['ENTRY', 'PRIMARY', 'MEMBER'];

/**
 * A new quantity for the whole list: the legs that carry its size take it (a bracket's exits follow
 * what the entry fills; an OTO's secondaries keep theirs). Working ones are resized (a replace each),
 * ones not placed yet are placed at it.
 */
function replaceList(command: ReplaceOrderList, state: OrderListState): Decision<OrderListEvent> {
  if (!state.exists)
    return reject('ORDER_LIST_NOT_FOUND', `Order list ${command.data.listId} does not exist.`);
  if (state.ended || state.cancelRequested) {
    return reject('ORDER_LIST_ENDED', `Order list ${command.data.listId} has ended or is being canceled.`);
  }
  const quantity = dec(command.data.quantity);
  if (!quantity.isPositive()) return reject('INVALID_REPLACE', `Quantity ${quantity} must be positive.`);
  const at = isoTimestamp(command.metadata.now);
  const events: OrderListEvent[] = [
    { type: 'OrderListReplaceRequested', data: { listId: state.listId, quantity: quantity.toString(), at } },
  ];
  for (const leg of Object.values(state.legs)) {
    const placed = leg.placed[leg.placed.length - 1];
    if (!SIZED_ROLES.includes(leg.template.role) || !placed || placed.failed) continue;
    if (leg.canceled.includes(placed.orderId) || dec(placed.quantity).eq(quantity)) continue;
    events.push({
      type: 'ListLegResized',
      data: {
        listId: state.listId,
        key: leg.template.key,
        orderId: placed.orderId,
        quantity: quantity.toString(),
        reason: 'the list was replaced',
        at,
      },
    });
  }
  return accept(...events);
}

function cancelList(command: CancelOrderList, state: OrderListState): Decision<OrderListEvent> {
  if (!state.exists)
    return reject('ORDER_LIST_NOT_FOUND', `Order list ${command.data.listId} does not exist.`);
  if (state.ended) return reject('ORDER_LIST_ENDED', `Order list ${command.data.listId} has ended.`);
  if (state.cancelRequested) return accept();
  return accept<OrderListEvent>({
    type: 'OrderListCancelRequested',
    data: {
      listId: command.data.listId,
      reason: command.data.reason,
      at: isoTimestamp(command.metadata.now),
    },
  });
}

type ExistingList = Extract<OrderListState, { exists: true }>;

/** The list with one order a leg placed changed (an unknown leg changes nothing). */
function withPlaced(
  state: ExistingList,
  key: string,
  orderId: string,
  change: (placed: PlacedLeg) => PlacedLeg,
): ExistingList {
  const leg = state.legs[key];
  if (!leg) return state;
  const placed = leg.placed.map((p) => (p.orderId === orderId ? change(p) : p));
  return { ...state, legs: { ...state.legs, [key]: { ...leg, placed } } };
}

export function evolveOrderList(state: OrderListState, event: OrderListEvent): OrderListState {
  if (event.type === 'OrderListPlaced') {
    const d = event.data;
    return {
      exists: true,
      listId: d.listId,
      accountId: d.accountId,
      clientListId: d.clientListId,
      contingency: d.contingency,
      legs: Object.fromEntries(
        d.legs.map((template) => [template.key, { template, placed: [], canceled: [] }]),
      ),
      placedLegs: d.legs,
      cancelRequested: false,
      ended: false,
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'ListLegPlaced': {
      const leg = state.legs[event.data.key];
      if (!leg) return state;
      const { key, orderId, clientOrderId, quantity } = event.data;
      return {
        ...state,
        legs: {
          ...state.legs,
          [key]: { ...leg, placed: [...leg.placed, { key, orderId, clientOrderId, quantity }] },
        },
      };
    }
    case 'ListLegResized':
      return withPlaced(state, event.data.key, event.data.orderId, (p) => ({
        ...p,
        quantity: event.data.quantity,
      }));
    case 'ListLegCanceled': {
      const leg = state.legs[event.data.key];
      if (!leg) return state;
      return {
        ...state,
        legs: {
          ...state.legs,
          [event.data.key]: { ...leg, canceled: [...leg.canceled, event.data.orderId] },
        },
      };
    }
    case 'ListLegFailed':
      return withPlaced(state, event.data.key, event.data.orderId, (p) => ({
        ...p,
        failed: event.data.code,
      }));
    case 'OrderListReplaceRequested': {
      const legs = Object.fromEntries(
        Object.entries(state.legs).map(([key, leg]) => [
          key,
          SIZED_ROLES.includes(leg.template.role)
            ? {
                ...leg,
                template: {
                  ...leg.template,
                  terms: { ...leg.template.terms, quantity: event.data.quantity },
                },
              }
            : leg,
        ]),
      );
      return { ...state, legs };
    }
    case 'OrderListCancelRequested':
      return { ...state, cancelRequested: true };
    case 'OrderListEnded':
      return { ...state, ended: true };
    default:
      return assertNever(event);
  }
}

export function decideOrderList(command: OrderListCommand, state: OrderListState): Decision<OrderListEvent> {
  switch (command.type) {
    case 'PlaceOrderList':
      return placeList(command, state);
    case 'ReconcileList':
      return reconcile(command, state);
    case 'CancelOrderList':
      return cancelList(command, state);
    case 'RecordLegFailure':
      return recordLegFailure(command, state);
    case 'ReplaceOrderList':
      return replaceList(command, state);
    default:
      return assertNever(command);
  }
}

export const orderListDecider: Decider<OrderListCommand, OrderListEvent, OrderListState> = {
  decide: decideOrderList,
  evolve: evolveOrderList,
  initialState: () => ({ exists: false }),
};

/** Every order id a reconcile may need to name: each leg's next order. */
export function nextLegClientOrderIds(state: OrderListState): string[] {
  if (!state.exists) return [];
  return Object.values(state.legs).map((leg) =>
    legClientOrderId(state.clientListId, leg.template.key, leg.placed.length + 1),
  );
}
