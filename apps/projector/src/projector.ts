import {
  EventStore,
  GlobalPosition,
  RecordedEvent,
  START,
  Subscription,
  parsePositionKey,
  positionKey,
} from '@oms/event-store';
import { DataSource } from 'typeorm';
import { Projection, ProjectionChanges } from './projections';

export const ORDER_UPDATED_CHANNEL = 'oms_order_updated';

export class CheckpointMoved extends Error {
  constructor(name: string) {
    super(`Checkpoint of ${name} moved under this projector: another instance is running.`);
  }
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

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly projections: Projection[],
    private readonly name = 'read-models',
    private readonly batchSize = 500,
  ) {}

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  get position(): GlobalPosition {
    return this.checkpoint;
  }

  async start(): Promise<void> {
    const [row] = (await this.dataSource.query('SELECT position FROM rm_checkpoints WHERE projection = $1', [
      this.name,
    ])) as {
      position: string;
    }[];
    this.checkpoint = row ? parsePositionKey(row.position) : START;
    const eventTypes = [...new Set(this.projections.flatMap((p) => p.canHandle))];
    this.subscription = this.store.subscribeToAll(
      { fromPosition: this.checkpoint, filter: { eventTypes }, batchSize: this.batchSize },
      (events) => this.applyBatch(events),
    );
    void this.subscription.caughtUp.then(() => (this.caughtUp = true));
  }

  /** Resolves once every event that existed at start is projected. */
  async whenCaughtUp(): Promise<void> {
    await this.subscription?.caughtUp;
  }

  /** Resolves when the subscription ends; rejects if a batch failed. */
  get done(): Promise<void> {
    return this.subscription?.done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private async applyBatch(events: RecordedEvent[]): Promise<void> {
    const next = events[events.length - 1].position;
    await this.dataSource.transaction(async (tx) => {
      const changes: ProjectionChanges = { orders: new Map() };
      for (const event of events) {
        for (const projection of this.projections) {
          if (projection.canHandle.includes(event.type)) await projection.apply(tx, event, changes);
        }
      }
      const moved = (await tx.query(
        `INSERT INTO rm_checkpoints (projection, position, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
         WHERE rm_checkpoints.position = $3
         RETURNING projection`,
        [this.name, positionKey(next), positionKey(this.checkpoint)],
      )) as unknown[];
      if (moved.length === 0) throw new CheckpointMoved(this.name);
      for (const change of changes.orders.values()) {
        await tx.query('SELECT pg_notify($1, $2)', [ORDER_UPDATED_CHANNEL, JSON.stringify(change)]);
      }
    });
    this.checkpoint = next;
  }
}
