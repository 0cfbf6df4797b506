/**
 * Command handling without a framework: aggregates loaded and appended with expected revisions, hot
 * accounts, keyed queues, stream names, the place-order process, the account ledger, reference data
 * and prices, and the one checkpointed processor the projector, the ledger and the gateway run on.
 */
export * from './refusal';
export * from './command-context';
export * from './streams';
export * from './recorded';
export * from './aggregates/aggregate-store';
export * from './aggregates/keyed-queue';
export * from './accounts/hot-accounts';
export * from './accounts/account-snapshots';
export * from './accounts/account-ledger';
export * from './controls/halt-enforcer';
export * from './access/access-control';
export * from './reference/reference-data';
export * from './reference/reference-prices';
export * from './reference/published-market-data';
export * from './orders/order-id';
export * from './orders/place-order';
export * from './orders/release-order';
export * from './lists/order-lists';
export * from './orders/intake-gate';
export * from './processing/active-instance-lock';
export * from './processing/checkpoints';
export * from './processing/processor';
export * from './command-side';
export * from './instrumented-store';
export * from './demo';
