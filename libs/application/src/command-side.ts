import { EventStore } from '@oms/event-store';
import { Clock } from '@oms/platform';
import { AccessControl } from './access/access-control';
import { AccountSnapshots } from './accounts/account-snapshots';
import { HotAccounts } from './accounts/hot-accounts';
import { AggregateStore } from './aggregates/aggregate-store';
import { KeyedQueue } from './aggregates/keyed-queue';
import { IntakeGate } from './orders/intake-gate';
import { PlaceOrderProcess } from './orders/place-order';
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
  access: AccessControl;
}

export function createCommandSide(
  store: EventStore,
  prices: ReferencePriceSource,
  clock: Clock,
  /** The intake limit on orders accepted and not yet routed; none: no limit. */
  intake: IntakeGate | null = null,
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
  const access = new AccessControl(aggregates, clock);
  return { store, clock, prices, aggregates, accounts, reference, orderQueue, placeOrders, access };
}
