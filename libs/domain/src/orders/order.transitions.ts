import { OrderEvent, OrderStatus } from './order';

type OrderEventType = OrderEvent['type'];
type Row = { readonly [E in OrderEventType]?: readonly OrderStatus[] };

/**
 * The order state machine, in one table: for each status, the events that may happen to an order in
 * it and the statuses each may lead to (FIX 4.4 OrdStatus, Nautilus-style). The decider checks every
 * event it decides against this table; an event not listed for the status it meets is refused as an
 * INVALID_TRANSITION, with the reason, whatever else the decider would have done.
 *
 * Read a row as "an order that is <status>, on <event>, becomes one of <statuses>". The status itself
 * is derived from the order (fills, quantity, pending requests, closure), so an event may leave it
 * where it was: a slice acknowledged while a cancel is pending is still PENDING_CANCEL.
 */

/** Facts about venue slices: they never move the parent's status by themselves. */
const BOOKKEEPING: OrderEventType[] = [
  'OrderRouted',
  'VenueOrderSubmitted',
  'VenueOrderUnconfirmed',
  'VenueOrderResent',
  'VenueOrderClosed',
  'VenueReplaceSubmitted',
  'VenueOrderReplaced',
  'VenueReplaceRejected',
  'VenueOrderRestated',
  'OrderOverfilled',
  'OrderReplaceRefused',
  // A held order's trigger: watched, moved, reached, released (or refused, then canceled).
  'TrailingStopMoved',
  'OrderTriggered',
  'OrderReleased',
  'OrderReleaseRefused',
  // A stop sent natively: its venue triggered it, or refused it and the OMS holds it again.
  'VenueOrderTriggered',
  'NativeStopReturned',
];
const stays = (status: OrderStatus, events: OrderEventType[] = BOOKKEEPING): Row =>
  Object.fromEntries(events.map((e) => [e, [status]]));

/** What a working order may always meet: the venue ends it, or it expires. */
const ENDINGS: Row = {
  OrderCanceled: ['CANCELED'],
  OrderRejectedByVenue: ['REJECTED'],
  OrderExpired: ['EXPIRED'],
};

/** What may still arrive after an order ended: late reports change its figures, never revive it. */
const LATE = (status: OrderStatus): Row => ({
  ...stays(status, [
    'VenueOrderClosed',
    'VenueOrderUnconfirmed',
    'VenueOrderTriggered',
    'VenueOrderRestated',
    'VenueOrderReplaced',
    'VenueReplaceRejected',
    'OrderOverfilled',
  ]),
  OrderAcknowledged: [status],
  // A late fill after a cancel or an expiry is booked (FIX D: "fill received after cancel"); it may
  // complete the order.
  OrderFilled: [status, 'FILLED'],
  TradeBusted: [status],
  TradeCorrected: [status, 'FILLED'],
  OrderCancelRejected: [status],
  OrderReplaceRejected: [status],
});

/** What a filled order can become when an execution is taken back or its quantity grows. */
const REOPENED: readonly OrderStatus[] = [
  'FILLED',
  'PARTIALLY_FILLED',
  'NEW',
  'PENDING_NEW',
  'PENDING_CANCEL',
  'PENDING_REPLACE',
  // It had ended before late fills completed it: taking one back leaves it ended as it was.
  'CANCELED',
  'EXPIRED',
  'REJECTED',
];

export const ORDER_TRANSITIONS: { readonly [S in OrderStatus]: Row } = {
  PENDING_NEW: {
    ...stays('PENDING_NEW'),
    ...ENDINGS,
    OrderAcknowledged: ['NEW'],
    OrderFilled: ['PARTIALLY_FILLED', 'FILLED'],
    OrderCancelRequested: ['PENDING_CANCEL'],
    OrderReplaceRequested: ['PENDING_REPLACE'],
    OrderRestated: ['PENDING_NEW', 'FILLED'],
    // A triggered order: the OMS holds it, watching the market for its trigger.
    OrderArmed: ['NEW'],
  },
  NEW: {
    ...stays('NEW'),
    ...ENDINGS,
    OrderAcknowledged: ['NEW'],
    OrderFilled: ['PARTIALLY_FILLED', 'FILLED'],
    OrderCancelRequested: ['PENDING_CANCEL'],
    OrderReplaceRequested: ['PENDING_REPLACE'],
    OrderRestated: ['NEW', 'FILLED'],
    TradeBusted: ['NEW'],
    // A native stop its venue acknowledged, then handed back: the OMS holds it from then on.
    OrderArmed: ['NEW'],
  },
  PARTIALLY_FILLED: {
    ...stays('PARTIALLY_FILLED'),
    ...ENDINGS,
    OrderAcknowledged: ['PARTIALLY_FILLED'],
    OrderFilled: ['PARTIALLY_FILLED', 'FILLED'],
    OrderCancelRequested: ['PENDING_CANCEL'],
    OrderReplaceRequested: ['PENDING_REPLACE'],
    OrderRestated: ['PARTIALLY_FILLED', 'FILLED'],
    TradeBusted: ['PARTIALLY_FILLED', 'NEW', 'PENDING_NEW'],
    TradeCorrected: ['PARTIALLY_FILLED', 'FILLED'],
  },
  PENDING_CANCEL: {
    ...stays('PENDING_CANCEL'),
    ...ENDINGS,
    OrderAcknowledged: ['PENDING_CANCEL'],
    OrderFilled: ['PENDING_CANCEL', 'FILLED'],
    // The venue refused the cancel (FIX 35=9): the order is what it was before it was asked.
    OrderCancelRejected: ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'PENDING_REPLACE'],
    OrderRestated: ['PENDING_CANCEL', 'FILLED'],
    // A replace that was under way when the cancel came ends while the cancel is pending.
    OrderReplaced: ['PENDING_CANCEL', 'FILLED'],
    OrderReplaceRejected: ['PENDING_CANCEL'],
    TradeBusted: ['PENDING_CANCEL'],
    TradeCorrected: ['PENDING_CANCEL', 'FILLED'],
  },
  PENDING_REPLACE: {
    ...stays('PENDING_REPLACE'),
    ...ENDINGS,
    OrderAcknowledged: ['PENDING_REPLACE'],
    OrderFilled: ['PENDING_REPLACE', 'FILLED'],
    OrderCancelRequested: ['PENDING_CANCEL'],
    OrderReplaced: ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'FILLED'],
    OrderReplaceRejected: ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED'],
    OrderRestated: ['PENDING_REPLACE', 'FILLED'],
    TradeBusted: ['PENDING_REPLACE'],
    TradeCorrected: ['PENDING_REPLACE', 'FILLED'],
  },
  FILLED: {
    ...LATE('FILLED'),
    ...stays('FILLED', [
      'OrderRouted',
      'VenueOrderSubmitted',
      'VenueReplaceSubmitted',
      'VenueOrderReplaced',
      'VenueReplaceRejected',
    ]),
    // Fills overtook a reduction (FIX D11/D12): the replace ends at what filled; a replace up that the
    // venue confirms after the fills reached the old quantity reopens it.
    OrderReplaced: REOPENED,
    OrderCancelRejected: ['FILLED'],
    // A bust or a correction down reopens it (with a cancel or replace still pending, as that); with
    // nothing working it then ends (canceled). A bust of what was overfill leaves it FILLED.
    TradeBusted: REOPENED,
    TradeCorrected: REOPENED,
    // A venue restating a slice of a filled order (a slice filled, another restated up).
    OrderRestated: REOPENED,
  },
  CANCELED: LATE('CANCELED'),
  REJECTED: LATE('REJECTED'),
  EXPIRED: LATE('EXPIRED'),
};

/** How an order comes to be: accepted, or refused by pre-trade risk and recorded so. */
export const ORDER_BEGINNINGS: Row = { OrderAccepted: ['PENDING_NEW'], OrderRejected: ['REJECTED'] };

/** Null when the table allows `event` to take an order from `from` (null: no order yet) to `to`; else why not. */
export function transitionProblem(
  from: OrderStatus | null,
  event: OrderEventType,
  to: OrderStatus | null,
): string | null {
  const row = from === null ? ORDER_BEGINNINGS : ORDER_TRANSITIONS[from];
  const allowed = row[event];
  if (!allowed) {
    return from === null
      ? `${event} cannot happen to an order that does not exist.`
      : `${event} cannot happen to a ${from} order.`;
  }
  if (to === null || !allowed.includes(to)) {
    return `${event} cannot take a ${from ?? 'new'} order to ${to ?? 'nothing'} (allowed: ${allowed.join(', ')}).`;
  }
  return null;
}

/**
 * The table as Markdown (the README shows it; a test keeps the two the same): per status, the events
 * that move an order on, and those it may meet and stay as it is. Anything else is refused.
 */
export function transitionTableMarkdown(): string {
  const lines = ['| Status | Event → next status | Allowed, status unchanged |', '|---|---|---|'];
  const render = (status: OrderStatus | null, row: Row) => {
    const moves: string[] = [];
    const stays: string[] = [];
    for (const [event, to] of Object.entries(row) as [OrderEventType, readonly OrderStatus[]][]) {
      const onward = to.filter((s) => s !== status);
      if (onward.length > 0) moves.push(`${event} → ${onward.join(' / ')}`);
      if (status !== null && to.includes(status)) stays.push(event);
    }
    lines.push(`| ${status ?? '*(no order)*'} | ${moves.join('<br>') || '—'} | ${stays.join(', ') || '—'} |`);
  };
  render(null, ORDER_BEGINNINGS);
  for (const [status, row] of Object.entries(ORDER_TRANSITIONS)) render(status as OrderStatus, row);
  return lines.join('\n');
}
