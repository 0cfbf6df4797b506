import { DataSource, MigrationInterface } from 'typeorm';
import { EventStore1763700000000 } from './1763700000000-event-store';
import { ReadModels1763700000001 } from './1763700000001-read-models';
import { SetBasedAppend1763800000000 } from './1763800000000-set-based-append';
import { AppendNotice1763900000000 } from './1763900000000-append-notice';
import { ReferencePrices1764000000000 } from './1764000000000-reference-prices';
import { GatewayWorkingSlices1764100000000 } from './1764100000000-gateway-working-slices';
import { PositionCostBasis1764200000000 } from './1764200000000-position-cost-basis';
import { PositionOtherFees1764300000000 } from './1764300000000-position-other-fees';
import { HaltEnforcer1764400000000 } from './1764400000000-halt-enforcer';
import { AccountTradingState1764500000000 } from './1764500000000-account-trading-state';
import { AuditChain1764600000000 } from './1764600000000-audit-chain';
import { AuditTrailIndexes1764700000000 } from './1764700000000-audit-trail-indexes';
import { AtomicGroupAppend1764800000000 } from './1764800000000-atomic-group-append';
import { AppendGenericPlans1764900000000 } from './1764900000000-append-generic-plans';
import { MarketData1765000000000 } from './1765000000000-market-data';
import { GatewayHeldOrders1765100000000 } from './1765100000000-gateway-held-orders';

/** Every migration, in order. Listed explicitly (no globs) so jest, ts-node and the build agree. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  EventStore1763700000000,
  ReadModels1763700000001,
  SetBasedAppend1763800000000,
  AppendNotice1763900000000,
  ReferencePrices1764000000000,
  GatewayWorkingSlices1764100000000,
  PositionCostBasis1764200000000,
  PositionOtherFees1764300000000,
  HaltEnforcer1764400000000,
  AccountTradingState1764500000000,
  AuditChain1764600000000,
  AuditTrailIndexes1764700000000,
  AtomicGroupAppend1764800000000,
  AppendGenericPlans1764900000000,
  MarketData1765000000000,
  GatewayHeldOrders1765100000000,
];

/**
 * Brings a database up to date. Safe when several processes start at once: each migration runs in
 * its own transaction under TypeORM's lock on the migrations table.
 */
export async function runMigrations(connectionString: string): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: connectionString,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    logging: false,
  });
  await dataSource.initialize();
  // Serialise concurrent starters on one session's advisory lock: the second waits, then finds
  // nothing left to run.
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(727274)');
    const ran = await dataSource.runMigrations();
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}
