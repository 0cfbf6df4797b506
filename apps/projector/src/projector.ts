import { CheckpointStore, InstanceLock, Processor, Recorded } from '@oms/application';
import { OmsEventType } from '@oms/domain';
import { EventStore } from '@oms/event-store';
import { Clock, Logger, ordersCompleted, projectionLagSeconds } from '@oms/platform';
import { ORDER_UPDATED_CHANNEL } from '@oms/read-models';
import { Projection, ProjectionChanges } from './projections';

export interface ProjectorOptions {
  /** The checkpoint's name. */
  name?: string;
  batchSize?: number;
  /**
   * Live: tell API instances which orders changed, and count metrics. Off while rebuilding tables
   * nobody reads yet.
   */
  live?: boolean;
  /** A batch failed (the projector follows again from its checkpoint unless stopped). */
  onFailure?: (error: unknown) => void;
}

export interface ProjectorDeps {
  store: EventStore;
  checkpoints: CheckpointStore;
  lock: InstanceLock;
  clock: Clock;
  logger: Logger;
}

/**
 * Runs projections on a processor. Each batch is one transaction: apply the events, move the
 * checkpoint by compare-and-set, notify (delivered on commit). A projector killed at any point
 * restarts from the last committed checkpoint, so the read model always equals a replay of the log up
 * to it. One active instance per projection set (the lock); a rebuild that switched the tables moves
 * the checkpoint, and the projector carries on from there into the new tables.
 */
export class Projector {
  readonly processor: Processor<OmsEventType>;

  constructor(deps: ProjectorDeps, projections: Projection[], options: ProjectorOptions = {}) {
    const live = options.live ?? true;
    const completed: string[] = [];
    this.processor = new Processor<OmsEventType>(
      {
        name: options.name ?? 'read-models',
        canHandle: [...new Set(projections.flatMap((p) => p.canHandle))],
        batchSize: options.batchSize ?? 500,
        handle: async (events) => async (tx) => {
          const changes: ProjectionChanges = { orders: new Map(), completed: [] };
          for (const projection of projections) await projection.applyBatch(tx, events, changes);
          completed.splice(0, completed.length, ...changes.completed);
          if (!live || changes.orders.size === 0) return;
          // One statement for the whole batch; each notification is still delivered on its own on commit.
          await tx.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [
            ORDER_UPDATED_CHANNEL,
            [...changes.orders.values()].map((change) => JSON.stringify(change)),
          ]);
        },
        onFailure: options.onFailure,
        committed: (events: Recorded[]) => {
          if (!live) return;
          const now = Date.now();
          for (const event of events)
            projectionLagSeconds.observe(Math.max(0, now - event.recordedAt.getTime()) / 1000);
          for (const status of completed) ordersCompleted.inc({ status });
        },
      },
      deps,
    );
  }

  start(): Promise<'active' | 'standby'> {
    return this.processor.start();
  }

  stop(): Promise<void> {
    return this.processor.stop();
  }
}
