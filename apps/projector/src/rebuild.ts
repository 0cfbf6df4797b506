import { ActiveInstanceLock, PostgresCheckpoints } from '@oms/application';
import { EventStore, GlobalPosition, positionKey } from '@oms/event-store';
import { Clock, Logger, retry } from '@oms/platform';
import { READ_MODEL_ENTITIES } from '@oms/read-models';
import { DataSource, QueryRunner } from 'typeorm';
import { Projection, READ_MODEL_PROJECTIONS } from './projections';
import { Projector } from './projector';

/** The tables the projector writes; rm_checkpoints stays where it is (the ledger keeps its row there too). */
export const READ_MODEL_TABLES = ['rm_orders', 'rm_fills', 'rm_positions', 'rm_risk_limits'] as const;
const LIVE_CHECKPOINT = 'read-models';
const REBUILD_CHECKPOINT = 'read-models:rebuild';
const BUILD_SCHEMA = 'rm_rebuild';
const RETIRED_SCHEMA = 'rm_retired';
/** lock_not_available: the swap found a table busy and tries again instead of waiting (no deadlocks). */
const LOCK_NOT_AVAILABLE = '55P03';

export interface RebuildProgress {
  /** Events applied to the new tables so far. */
  events: number;
  /** Where the rebuild is in the log, and the end of the log when it started (for a progress bar). */
  position: GlobalPosition;
  head: GlobalPosition;
}

export interface RebuildResult {
  events: number;
  position: GlobalPosition;
  rows: Record<string, number>;
  swapAttempts: number;
}

/**
 * Rebuilds the read models from the log without taking them offline: replays every event into fresh
 * copies of the tables (schema `rm_rebuild`, same columns and indexes), then switches them in, in one
 * transaction, and moves the live projector's checkpoint to where the rebuild stopped. A live projector
 * finds its checkpoint moved on its next batch and carries on from there, into the new tables. Queries
 * wait at most for the switch itself. A rebuild that dies leaves the live tables untouched; the next one
 * starts over.
 */
export class ReadModelRebuild {
  constructor(
    private readonly store: EventStore,
    private readonly databaseUrl: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async run(onProgress: (progress: RebuildProgress) => void = () => undefined): Promise<RebuildResult> {
    const admin = await new DataSource({ type: 'postgres', url: this.databaseUrl }).initialize();
    const build = await new DataSource({
      type: 'postgres',
      url: this.databaseUrl,
      entities: READ_MODEL_ENTITIES,
      // Unqualified table names (entities and SQL alike) resolve to the new tables.
      extra: { options: `-c search_path=${BUILD_SCHEMA}` },
    }).initialize();
    try {
      const live = await this.liveSchema(admin);
      await this.createFreshTables(admin, live);

      const head = await this.store.headPosition();
      let events = 0;
      let reported = 0;
      const projections: Projection[] = READ_MODEL_PROJECTIONS.map((projection) => ({
        ...projection,
        applyBatch: async (...args: Parameters<Projection['applyBatch']>) => {
          await projection.applyBatch(...args);
          const batch = args[1];
          events += batch.filter((e) => projection.canHandle.includes(e.type)).length;
          if (events - reported >= 500) {
            reported = events;
            onProgress({ events, position: batch[batch.length - 1].position, head });
          }
        },
      }));
      const checkpoints = new PostgresCheckpoints(build);
      let failure: unknown = null;
      let markFailed!: (error: unknown) => void;
      // A failed batch ends the rebuild, before anything is switched.
      const failed = new Promise<never>((_, reject) => (markFailed = reject));
      failed.catch(() => undefined);
      const projector = new Projector(
        {
          store: this.store,
          checkpoints,
          lock: new ActiveInstanceLock(build, `oms-projection:${REBUILD_CHECKPOINT}`),
          clock: this.clock,
          logger: this.logger,
        },
        projections,
        {
          name: REBUILD_CHECKPOINT,
          live: false,
          onFailure: (error) => {
            failure = error;
            markFailed(error);
          },
        },
      );
      try {
        await projector.start();
        await Promise.race([projector.processor.whenCaughtUp(), failed]);
      } finally {
        await projector.stop();
      }
      if (failure) throw failure;
      const position = await checkpoints.load(REBUILD_CHECKPOINT);
      onProgress({ events, position, head });

      const rows: Record<string, number> = {};
      for (const table of READ_MODEL_TABLES) {
        const [{ count }] = (await admin.query(
          `SELECT count(*)::int AS count FROM ${BUILD_SCHEMA}.${table}`,
        )) as {
          count: number;
        }[];
        rows[table] = count;
      }
      const swapAttempts = await this.switchOver(admin, live, position);
      return { events, position, rows, swapAttempts };
    } finally {
      await build.destroy();
      await admin.destroy();
    }
  }

  private async liveSchema(admin: DataSource): Promise<string> {
    const [{ schema }] = (await admin.query(
      `SELECT table_schema AS schema FROM information_schema.tables
        WHERE table_name = 'rm_orders' AND table_schema = ANY (current_schemas(false))`,
    )) as { schema: string }[];
    return schema;
  }

  /** Empty copies of the live tables, with the live tables' own index and constraint names. */
  private async createFreshTables(admin: DataSource, live: string): Promise<void> {
    await admin.query(`DROP SCHEMA IF EXISTS ${BUILD_SCHEMA} CASCADE`);
    await admin.query(`CREATE SCHEMA ${BUILD_SCHEMA}`);
    await admin.query(
      `CREATE TABLE ${BUILD_SCHEMA}.rm_checkpoints (LIKE ${live}.rm_checkpoints INCLUDING ALL)`,
    );
    for (const table of READ_MODEL_TABLES) {
      await admin.query(`CREATE TABLE ${BUILD_SCHEMA}.${table} (LIKE ${live}.${table} INCLUDING ALL)`);
      const indexes = async (schema: string) =>
        (await admin.query(
          `SELECT indexname AS name, regexp_replace(indexdef, '^.* USING ', '') AS shape,
                  indexdef LIKE 'CREATE UNIQUE%' AS is_unique
             FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`,
          [schema, table],
        )) as { name: string; shape: string; is_unique: boolean }[];
      const fresh = await indexes(BUILD_SCHEMA);
      for (const index of await indexes(live)) {
        const twin = fresh.find((f) => f.shape === index.shape && f.is_unique === index.is_unique);
        if (!twin) throw new Error(`No copy of index ${index.name} on ${table}`);
        fresh.splice(fresh.indexOf(twin), 1);
        if (twin.name !== index.name) {
          await admin.query(`ALTER INDEX ${BUILD_SCHEMA}.${quote(twin.name)} RENAME TO ${quote(index.name)}`);
        }
      }
    }
  }

  /**
   * One transaction: lock the live tables without waiting (busy: roll back and try again shortly, so
   * a projector batch or a query in flight never deadlocks with the switch), move them out, move the new
   * ones in, move the live checkpoint to the rebuild's.
   */
  private async switchOver(admin: DataSource, live: string, position: GlobalPosition): Promise<number> {
    let attempts = 0;
    await retry(
      async (attempt) => {
        attempts = attempt;
        const tx: QueryRunner = admin.createQueryRunner();
        await tx.connect();
        try {
          await tx.startTransaction();
          await tx.query(`SET LOCAL lock_timeout = 0`);
          await tx.query(
            `LOCK TABLE ${READ_MODEL_TABLES.map((t) => `${live}.${t}`).join(', ')} IN ACCESS EXCLUSIVE MODE NOWAIT`,
          );
          await tx.query(`DROP SCHEMA IF EXISTS ${RETIRED_SCHEMA} CASCADE`);
          await tx.query(`CREATE SCHEMA ${RETIRED_SCHEMA}`);
          for (const table of READ_MODEL_TABLES) {
            await tx.query(`ALTER TABLE ${live}.${table} SET SCHEMA ${RETIRED_SCHEMA}`);
            await tx.query(`ALTER TABLE ${BUILD_SCHEMA}.${table} SET SCHEMA ${live}`);
          }
          await tx.query(
            `INSERT INTO ${live}.rm_checkpoints (projection, position, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
            [LIVE_CHECKPOINT, positionKey(position)],
          );
          await tx.query(`DROP SCHEMA ${RETIRED_SCHEMA} CASCADE`);
          await tx.query(`DROP SCHEMA ${BUILD_SCHEMA} CASCADE`);
          await tx.commitTransaction();
        } catch (error) {
          await tx.rollbackTransaction().catch(() => undefined);
          throw error;
        } finally {
          await tx.release();
        }
      },
      {
        // A table busy with a projector batch or a query: try again shortly instead of waiting.
        retryIf: (error) =>
          (error as { driverError?: { code?: string } }).driverError?.code === LOCK_NOT_AVAILABLE,
        attempts: 200,
        baseDelayMs: 5,
        maxDelayMs: 100,
        clock: this.clock,
      },
    );
    return attempts;
  }
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
