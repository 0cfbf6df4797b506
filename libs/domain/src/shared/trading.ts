export const SIDES = ['BUY', 'SELL'] as const;
export type Side = (typeof SIDES)[number];

export const ORDER_TYPES = [
  'MARKET',
  'LIMIT',
  'STOP',
  'STOP_LIMIT',
  'TRAILING_STOP',
  'TRAILING_STOP_LIMIT',
  'MARKET_IF_TOUCHED',
  'LIMIT_IF_TOUCHED',
] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/** What a venue works: every other type is held by the OMS until it triggers, then released as one. */
export const VENUE_ORDER_TYPES = ['MARKET', 'LIMIT'] as const satisfies readonly OrderType[];
export type VenueOrderType = (typeof VENUE_ORDER_TYPES)[number];

/**
 * What a venue may declare it works: the types it trades, and STOP_LIMIT when it holds stops itself.
 * The OMS then sends STOP and STOP_LIMIT orders there natively, both as stop-limits (FIX OrdType 4): a
 * STOP's limit is its collar edge, since a stop-market could trade outside the protection band.
 */
export const DECLARABLE_ORDER_TYPES = [
  ...VENUE_ORDER_TYPES,
  'STOP_LIMIT',
] as const satisfies readonly OrderType[];

/** The market price a triggered order watches: the last trade, the touch (bid or ask), or the mark. */
export const TRIGGER_TYPES = ['LAST', 'BID_ASK', 'MARK'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** A trailing offset in price, or in basis points of the price it trails. */
export const OFFSET_TYPES = ['PRICE', 'BASIS_POINTS'] as const;
export type OffsetType = (typeof OFFSET_TYPES)[number];

export const TIMES_IN_FORCE = ['DAY', 'GTC', 'GTD', 'IOC', 'FOK'] as const;
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];

export const LIQUIDITY = ['MAKER', 'TAKER'] as const;
export type Liquidity = (typeof LIQUIDITY)[number];

/** +1 for a buy, -1 for a sell: the sign a fill adds to a position. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}
