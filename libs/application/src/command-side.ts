import { Decimal, MarketObservation } from '@oms/domain';
import { EventStore } from '@oms/event-store';
import { CommandContext } from './command-context';
import { Clock, Logger, silentLogger } from '@oms/platform';
import { AccessControl } from './access/access-control';
import { AccountSnapshots } from './accounts/account-snapshots';
import { HotAccounts } from './accounts/hot-accounts';
import { AggregateStore } from './aggregates/aggregate-store';
import { KeyedQueue } from './aggregates/keyed-queue';
import { IntakeGate } from './orders/intake-gate';
import { PlaceOrderProcess } from './orders/place-order';
import { ReleaseOrderProcess } from './orders/release-order';
import { OrderLists } from './lists/order-lists';
import { ReferenceData } from './reference/reference-data';
import { ReferencePriceSource } from './reference/reference-prices';

/**
 * The machinery command handlers work with, wired once per process: aggregates loaded and appended
 * with expected revisions, accounts kept hot, reference data and halts in memory, one queue per order
 * id (places, cancels and replaces of one order never race here), and the place-order process.
 */
export interface CommandSide {
  store: EventStore;
  clock: Clock;
  prices: ReferencePriceSource;
  aggregates: AggregateStore;
  accounts: HotAccounts;
  reference: ReferenceData;
  orderQueue: KeyedQueue;
  placeOrders: PlaceOrderProcess;
  /** Held orders (stops, trailing stops, if-touched) released when they trigger. */
  releaseOrders: ReleaseOrderProcess;
  /** Contingent order lists (OCO, OTO, BRACKET). */
  orderLists: OrderLists;
  access: AccessControl;
}

export function createCommandSide(
  store: EventStore,
  prices: ReferencePriceSource,
  clock: Clock,
  /** The intake limit on orders accepted and not yet routed; none: no limit. */
  intake: IntakeGate | null = null,
  logger: Logger = silentLogger,
): CommandSide {
  const aggregates = new AggregateStore(store);
  const accounts = new HotAccounts(store, aggregates, new AccountSnapshots(store));
  const reference = new ReferenceData(store, aggregates);
  const orderQueue = new KeyedQueue();
  const placeOrders = new PlaceOrderProcess(
    aggregates,
    accounts,
    reference,
    prices,
    orderQueue,
    clock,
    intake,
  );
  const orderLists = new OrderLists(aggregates, clock, logger.child({ component: 'order-lists' }));
  const releaseOrders = new ReleaseOrderProcess(
    aggregates,
    accounts,
    reference,
    prices,
    orderQueue,
    clock,
    orderLists,
  );
  const access = new AccessControl(aggregates, clock);
  return {
    store,
    clock,
    prices,
    aggregates,
    accounts,
    reference,
    orderQueue,
    placeOrders,
    releaseOrders,
    orderLists,
    access,
  };
}

/** How the execution gateway releases held orders through a command side (risk again, on its accounts). */
export function heldOrderRelease(side: CommandSide) {
  return {
    trigger: (orderId: string, price: string, market: MarketObservation, ctx: CommandContext) =>
      side.releaseOrders.trigger(orderId, price, market, ctx),
    tickSize: (instrumentId: string): Decimal | null =>
      side.reference.instrument(instrumentId).instrument?.tickSize ?? null,
  };
}
