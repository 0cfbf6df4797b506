import {
  EventStore,
  GlobalPosition,
  RecordedEvent,
  START,
  Subscription,
  positionKey,
} from '@oms/event-store';
import { DataSource } from 'typeorm';
import { ActiveInstanceLock, loadCheckpoint } from '@oms/read-models';
import { Projection, ProjectionChanges } from './projections';

export const ORDER_UPDATED_CHANNEL = 'oms_order_updated';

export class CheckpointMoved extends Error {
  constructor(name: string) {
    super(`Checkpoint of ${name} moved under this projector (a rebuild switched its tables over).`);
  }
}

export interface ProjectorOptions {
  /** The checkpoint row and the advisory lock are per name. */
  name?: string;
  batchSize?: number;
  /** Tell API instances which orders changed (off while rebuilding tables nobody reads yet). */
  notify?: boolean;
}

/**
 * Runs projections from a stored checkpoint. Each batch is one transaction: apply the events, move the
 * checkpoint by compare-and-set, notify (delivered on commit). A projector killed at any point restarts
 * from the last committed checkpoint, so the read model always equals a replay of the log up to it.
 */
export class Projector {
  private subscription: Subscription | null = null;
  private checkpoint: GlobalPosition = START;
  private caughtUp = false;
  private standby = false;
  private stopped = false;
  /** One active instance per projection. */
  private readonly lock: ActiveInstanceLock;
  private markReady!: () => void;
  private readonly readyOrStandby = new Promise<void>((resolve) => (this.markReady = resolve));
  private markCaughtUp!: () => void;
  private readonly caughtUpOnce = new Promise<void>((resolve) => (this.markCaughtUp = resolve));

  private readonly name: string;
  private readonly batchSize: number;
  private readonly notify: boolean;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly projections: Projection[],
    options: ProjectorOptions = {},
  ) {
    this.name = options.name ?? 'read-models';
    this.batchSize = options.batchSize ?? 500;
    this.notify = options.notify ?? true;
    this.lock = new ActiveInstanceLock(dataSource, `oms-projection:${this.name}`);
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** Another instance holds the lock; this one waits to take over. */
  get isStandby(): boolean {
    return this.standby;
  }

  /** Resolves once this instance is caught up, or standing by behind the active one. */
  whenReadyOrStandby(): Promise<void> {
    return this.readyOrStandby;
  }

  get position(): GlobalPosition {
    return this.checkpoint;
  }

  /**
   * One active instance per projection: the first to take the lock projects; others stand by and take
   * over if the active one goes away. A projector whose lock session ends carries on: the checkpoint's
   * compare-and-set keeps two projectors from applying a batch twice.
   */
  async start(): Promise<void> {
    const active = await this.lock.run(
      async () => {
        this.standby = false;
        await this.follow();
      },
      () => undefined,
    );
    if (!active) {
      this.standby = true;
      this.markReady();
    }
  }

  /** Projects from the stored checkpoint until stopped or a batch fails. */
  private async follow(): Promise<void> {
    this.checkpoint = await loadCheckpoint(this.dataSource, this.name);
    const eventTypes = [...new Set(this.projections.flatMap((p) => p.canHandle))];
    const subscription = this.store.subscribeToAll(
      { fromPosition: this.checkpoint, filter: { eventTypes }, batchSize: this.batchSize },
      (events) => this.applyBatch(events),
    );
    this.subscription = subscription;
    void subscription.caughtUp.then(() => {
      this.caughtUp = true;
      this.markCaughtUp();
      this.markReady();
    });
    subscription.done.catch((error: unknown) => {
      // The tables were switched under this instance (a rebuild): carry on from their checkpoint.
      if (error instanceof CheckpointMoved && !this.stopped) return this.follow();
      // Any other failed batch stops this instance; letting go of the lock lets a standby take over.
      return this.lock.release();
    });
  }

  /** Resolves once this instance is active and has projected everything that existed when it became so. */
  async whenCaughtUp(): Promise<void> {
    await this.caughtUpOnce;
  }

  /** Resolves when the subscription ends; rejects if a batch failed. */
  get done(): Promise<void> {
    return this.subscription?.done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.lock.release();
  }

  private async applyBatch(events: RecordedEvent[]): Promise<void> {
    const next = events[events.length - 1].position;
    await this.dataSource.transaction(async (tx) => {
      const changes: ProjectionChanges = { orders: new Map() };
      for (const projection of this.projections) {
        const mine = events.filter((e) => projection.canHandle.includes(e.type));
        if (mine.length > 0) await projection.apply(tx, mine, changes);
      }
      const moved = (await tx.query(
        `INSERT INTO rm_checkpoints (projection, position, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
         WHERE rm_checkpoints.position = $3
         RETURNING projection`,
        [this.name, positionKey(next), positionKey(this.checkpoint)],
      )) as unknown[];
      if (moved.length === 0) throw new CheckpointMoved(this.name);
      if (!this.notify) return;
      if (changes.orders.size === 0) return;
      // One statement for the whole batch; each notification is still delivered on its own on commit.
      await tx.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [
        ORDER_UPDATED_CHANNEL,
        [...changes.orders.values()].map((change) => JSON.stringify(change)),
      ]);
    });
    this.checkpoint = next;
  }
}
