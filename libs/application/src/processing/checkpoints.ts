import { GlobalPosition, START, parsePositionKey, positionKey } from '@oms/event-store';
import { CheckpointRow } from '@oms/read-models';
import { DataSource, EntityManager } from 'typeorm';

/** Work that commits in the same transaction as the checkpoint that moves past it (read-model rows). */
export type CheckpointWrite = (tx: EntityManager) => Promise<void>;

/** A processor's checkpoint moved under it (a rebuild switched tables, or another instance ran). */
export class CheckpointMoved extends Error {
  constructor(name: string) {
    super(`The checkpoint of ${name} moved under this processor; following again from where it is now.`);
    this.name = 'CheckpointMoved';
  }
}

/** Where each processor has got to in the log. */
export interface CheckpointStore {
  /** START when the processor never ran. */
  load(name: string): Promise<GlobalPosition>;
  /**
   * Moves `name` from `from` to `to` by compare-and-set, together with `write` (all or nothing);
   * throws CheckpointMoved if it is no longer at `from`.
   */
  commit(name: string, from: GlobalPosition, to: GlobalPosition, write?: CheckpointWrite): Promise<void>;
}

/** Checkpoints in PostgreSQL (`rm_checkpoints`), each moved in one transaction with its batch's writes. */
export class PostgresCheckpoints implements CheckpointStore {
  constructor(private readonly dataSource: DataSource) {}

  async load(name: string): Promise<GlobalPosition> {
    const row = await this.dataSource.getRepository(CheckpointRow).findOneBy({ projection: name });
    return row ? parsePositionKey(row.position) : START;
  }

  async commit(
    name: string,
    from: GlobalPosition,
    to: GlobalPosition,
    write?: CheckpointWrite,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      // Not flushed to disk before it returns (still atomic, and visible at once): everything committed
      // with a checkpoint is derived from the log, which stays durable. A crash may take the last few
      // batches back, and the processor does them again, as after a crash between its own appends and
      // this commit. The log's commits then no longer queue behind the read models' flushes.
      await tx.query('SET LOCAL synchronous_commit = off');
      if (write) await write(tx);
      // One statement: the first checkpoint is inserted; an existing one moves only from where this
      // batch began (a first batch begins at START, '-/-', which no stored checkpoint holds). A
      // conditional upsert is beyond TypeORM's query builder, whose insert results also count the
      // rows it was given rather than those written; the answer comes from RETURNING.
      const moved = (await tx.query(
        `INSERT INTO rm_checkpoints (projection, position, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
         WHERE rm_checkpoints.position = $3
         RETURNING projection`,
        [name, positionKey(to), positionKey(from)],
      )) as unknown[];
      if (moved.length === 0) throw new CheckpointMoved(name);
    });
  }
}

/** Checkpoints in memory: one process, nothing survives it (backtests, unit tests). */
export class MemoryCheckpoints implements CheckpointStore {
  private readonly positions = new Map<string, GlobalPosition>();

  async load(name: string): Promise<GlobalPosition> {
    return this.positions.get(name) ?? START;
  }

  async commit(
    name: string,
    from: GlobalPosition,
    to: GlobalPosition,
    write?: CheckpointWrite,
  ): Promise<void> {
    if (write) throw new Error(`${name}: writes with a checkpoint need PostgreSQL (read models)`);
    if (positionKey(this.positions.get(name) ?? START) !== positionKey(from)) throw new CheckpointMoved(name);
    this.positions.set(name, to);
  }
}
