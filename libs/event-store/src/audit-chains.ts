import { EventStore } from './event-store';
import { LogAuditChain } from './log-audit-chain';
import { ChainAnchor, ChainVerification, PostgresAuditChain } from './postgres/audit-chain';
import { PostgresEventStore } from './postgres/postgres-event-store';

/** A tamper-evident chain over the event log, whichever store keeps it. */
export interface AuditChain {
  /** Chains up to `max` events appended after the head; answers how many it chained. */
  extend(max?: number): Promise<number>;
  anchor(): Promise<ChainAnchor | null>;
  verify(
    anchor?: { count: number; hash: string } | null,
    onProgress?: (checked: number, total: number) => void,
  ): Promise<ChainVerification>;
}

/** The PostgreSQL store's chain table, or link events on the log itself (KurrentDB, memory). */
export function auditChainOf(store: EventStore): AuditChain {
  return store instanceof PostgresEventStore ? new PostgresAuditChain(store) : new LogAuditChain(store);
}
