import { CheckpointWrite } from '@oms/application';
import { Column, DataSource, Entity, In, PrimaryColumn } from 'typeorm';

/** A venue slice that may still be working: sent, and its order not ended yet. */
export interface WorkingSlice {
  childId: string;
  orderId: string;
  venueId: string;
}

@Entity({ name: 'gw_working_slices' })
export class WorkingSliceRow implements WorkingSlice {
  @PrimaryColumn({ name: 'child_id' }) childId!: string;
  @Column({ name: 'order_id' }) orderId!: string;
  @Column({ name: 'venue_id' }) venueId!: string;
}

export const GATEWAY_ENTITIES = [WorkingSliceRow];

/** What a batch of the log changed in the working slices. */
export interface WorkingSliceChanges {
  sent: WorkingSlice[];
  closedSlices: string[];
  endedOrders: string[];
}

/**
 * The gateway's record of the slices that may still be working, kept from the log (slices sent,
 * slices closed, orders ended) and moved with the gateway's checkpoint, so that a restarted gateway
 * knows what to ask its venues about. A superset: a slice that filled while its order works on stays
 * until the order ends; reconciliation finds it done.
 */
export interface WorkingSliceRecord {
  load(): Promise<WorkingSlice[]>;
  /** The write to commit with the checkpoint; none when nothing changed or nothing is durable. */
  write(changes: WorkingSliceChanges): CheckpointWrite | undefined;
}

/** In PostgreSQL (`gw_working_slices`), written in the gateway's checkpoint transaction. */
export class PostgresWorkingSlices implements WorkingSliceRecord {
  constructor(private readonly dataSource: DataSource) {}

  load(): Promise<WorkingSlice[]> {
    return this.dataSource.getRepository(WorkingSliceRow).find();
  }

  write({ sent, closedSlices, endedOrders }: WorkingSliceChanges): CheckpointWrite | undefined {
    if (sent.length === 0 && closedSlices.length === 0 && endedOrders.length === 0) return undefined;
    return async (tx) => {
      const rows = tx.getRepository(WorkingSliceRow);
      if (sent.length > 0) await rows.upsert(sent, ['childId']);
      if (closedSlices.length > 0) await rows.delete({ childId: In(closedSlices) });
      if (endedOrders.length > 0) await rows.delete({ orderId: In(endedOrders) });
    };
  }
}

/** Nothing survives the process (backtests): the gateway's memory is the whole record. */
export class NoWorkingSliceRecord implements WorkingSliceRecord {
  async load(): Promise<WorkingSlice[]> {
    return [];
  }

  write(): undefined {
    return undefined;
  }
}
