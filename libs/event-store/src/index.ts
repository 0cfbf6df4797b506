export * from './event-store';
export * from './upcasting';
export * from './subscription';
export * from './config';
export * from './memory/memory-event-store';
export * from './postgres/postgres-event-store';
export * from './postgres/embedded-postgres';
export * from './postgres/audit-chain';
