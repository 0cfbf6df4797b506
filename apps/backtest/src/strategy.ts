import type {
  ContingencyType,
  Decimal,
  LegRole,
  OffsetType,
  OrderStatus,
  OrderType,
  Side,
  TimeInForce,
  TriggerType,
} from '@oms/domain';
import type { MarketEvent, PriceLevel } from '@oms/venues';

/**
 * What a backtest strategy is: callbacks the runner calls on the virtual clock, each with a context
 * through which it trades. Orders go through the same commands and pre-trade risk as the API's; what
 * the strategy hears about them comes from the event log. A callback may return a promise: the
 * runner waits for it (and for everything it set off) before time moves on.
 *
 * A strategy written by a user is a `.ts` or `.js` module whose default export (or `createStrategy`
 * export) is a `StrategyFactory`. It imports only types from the OMS (`import type`); values it needs
 * (decimals) come from the context and from the prices it is given, so it runs without a build step.
 */
export interface Strategy {
  onStart?(ctx: StrategyContext): void | Promise<void>;
  /** A venue's market data, as it reaches the OMS (after that venue's latency). */
  onMarketData?(ctx: StrategyContext, update: MarketUpdate): void | Promise<void>;
  /** One of the strategy's orders changed (accepted, rejected, filled, canceled, replaced, ...). */
  onOrderUpdate?(ctx: StrategyContext, update: OrderUpdate): void | Promise<void>;
  /** A timer set with `ctx.setTimer` fired. */
  onTimer?(ctx: StrategyContext, name: string): void | Promise<void>;
  /** The data has run out (nothing is placed after this). */
  onStop?(ctx: StrategyContext): void | Promise<void>;
}

/** Parameters from the config file (`strategy.params`), with the instruments the backtest trades. */
export interface StrategySetup {
  params: Readonly<Record<string, unknown>>;
  instruments: readonly StrategyInstrument[];
  /** Virtual time the replay starts and (when known) ends, ms since the epoch. */
  startsAt: number;
  endsAt: number | null;
}

export type StrategyFactory = (setup: StrategySetup) => Strategy;

export interface StrategyInstrument {
  instrumentId: string;
  tickSize: Decimal;
  lotSize: Decimal;
}

export interface MarketUpdate {
  venueId: string;
  instrumentId: string;
  event: MarketEvent;
}

export interface OrderUpdate {
  orderId: string;
  clientOrderId: string;
  instrumentId: string;
  side: Side;
  /** The log event that changed the order (OrderAccepted, OrderFilled, OrderCanceled, ...). */
  event: string;
  status: OrderStatus;
  quantity: Decimal;
  limitPrice: Decimal | null;
  filledQuantity: Decimal;
  leavesQuantity: Decimal;
  averagePrice: Decimal | null;
  /** The fill this update is about (OrderFilled only). */
  lastFill: { price: Decimal; quantity: Decimal; venueId: string } | null;
  /** Why it was rejected, canceled or expired, when it was. */
  reason: string | null;
  /** The contingent list it is a leg of (placed with `placeList`); null for an order of its own. */
  listId: string | null;
}

export interface OrderIntent {
  instrumentId: string;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  limitPrice?: Decimal | null;
  /** Default GTC for LIMIT, IOC for MARKET. */
  timeInForce?: TimeInForce;
  /** Direct to one venue; absent: the smart order router chooses. */
  venueId?: string | null;
  /** Held orders (stops, trailing stops, if-touched) and limit-order options, as the API takes them. */
  stopPrice?: Decimal | null;
  trailingOffset?: Decimal | null;
  trailingOffsetType?: OffsetType | null;
  limitOffset?: Decimal | null;
  triggerType?: TriggerType | null;
  postOnly?: boolean | null;
  displayQuantity?: Decimal | null;
}

/**
 * A contingent list (OCO, OTO, BRACKET), as the API's placeOrderList takes it: each leg an order
 * with a key (1–8 letters or digits) and its role; a bracket's exits may leave out their quantity
 * (they are sized to what the entry fills).
 */
export interface OrderListIntent {
  contingency: ContingencyType;
  legs: (Omit<OrderIntent, 'quantity'> & { key: string; role: LegRole; quantity?: Decimal | null })[];
}

export type ListPlaceResult =
  | { accepted: true; listId: string; clientListId: string }
  | { accepted: false; listId: string | null; clientListId: string; reasons: string[] };

export type PlaceResult =
  | { accepted: true; orderId: string; clientOrderId: string }
  | { accepted: false; orderId: string | null; clientOrderId: string; reasons: string[] };

export interface StrategyPosition {
  instrumentId: string;
  /** Signed: long positive, short negative. */
  quantity: Decimal;
  averagePrice: Decimal;
  realizedPnl: Decimal;
  fees: Decimal;
}

export interface StrategyContext {
  /** Virtual time, ms since the epoch. */
  now(): number;
  instruments: readonly StrategyInstrument[];
  /** A decimal from text ("0.001"): the only way a strategy makes numbers for orders. */
  decimal(text: string): Decimal;
  /** A venue's book as the OMS sees it; null before its first market data. */
  book(venueId: string, instrumentId: string): { bids: PriceLevel[]; asks: PriceLevel[] } | null;
  /** Best bid and ask over every venue, as the OMS sees them. */
  bestBidAsk(instrumentId: string): { bid: Decimal | null; ask: Decimal | null };
  /** The OMS's reference (mid) price; null before market data. */
  mid(instrumentId: string): Decimal | null;
  place(order: OrderIntent): Promise<PlaceResult>;
  /** Asks to cancel; false (with why) when the OMS refused the request. */
  cancel(orderId: string, reason?: string): Promise<{ ok: boolean; reason?: string }>;
  /** A new quantity, limit price, or stop price (a held stop's trigger, moved at once). */
  replace(
    orderId: string,
    change: { quantity?: Decimal; limitPrice?: Decimal; stopPrice?: Decimal },
  ): Promise<{ ok: boolean; reason?: string }>;
  /**
   * Places a contingent list: the legs that go out at once are placed now, the rest as the list's
   * members fill (their updates reach onOrderUpdate with the list's id). Accepted: the list exists,
   * though a leg may still be refused by risk (its update says why).
   */
  placeList(list: OrderListIntent): Promise<ListPlaceResult>;
  /** Cancels every working member of a list, and nothing more is placed for it. */
  cancelList(listId: string, reason?: string): Promise<{ ok: boolean; reason?: string }>;
  /** The account's position as the OMS booked it. */
  position(instrumentId: string): Promise<StrategyPosition>;
  /** Calls onTimer(name) after `ms` of virtual time (a timer of the same name is replaced). */
  setTimer(name: string, ms: number): void;
  clearTimer(name: string): void;
  /** A line in the backtest's log (report.json keeps the first few hundred). */
  log(message: string): void;
}
