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

/** An order the OMS holds until its trigger (stop, trailing stop, if-touched), not yet released. */
@Entity({ name: 'gw_held_orders' })
export class HeldOrderRow {
  @PrimaryColumn({ name: 'order_id' }) orderId!: string;
}

export const GATEWAY_ENTITIES = [WorkingSliceRow, HeldOrderRow];

/** What a batch of the log changed in the working slices and the held orders. */
export interface WorkingSliceChanges {
  sent: WorkingSlice[];
  closedSlices: string[];
  endedOrders: string[];
  /** Held orders accepted, and held orders released to the venues. */
  held?: string[];
  released?: string[];
}

/**
 * The gateway's record of the slices that may still be working, kept from the log (slices sent,
 * slices closed, orders ended) and moved with the gateway's checkpoint, so that a restarted gateway
 * knows what to ask its venues about. A superset: a slice that filled while its order works on stays
 * until the order ends; reconciliation finds it done.
 */
export interface WorkingSliceRecord {
  load(): Promise<WorkingSlice[]>;
  /** The held orders to watch again. */
  loadHeld(): Promise<string[]>;
  /** The write to commit with the checkpoint; none when nothing changed or nothing is durable. */
  write(changes: WorkingSliceChanges): CheckpointWrite | undefined;
}

/** In PostgreSQL (`gw_working_slices`), written in the gateway's checkpoint transaction. */
export class PostgresWorkingSlices implements WorkingSliceRecord {
  constructor(private readonly dataSource: DataSource) {}

  load(): Promise<WorkingSlice[]> {
    return this.dataSource.getRepository(WorkingSliceRow).find();
  }

  async loadHeld(): Promise<string[]> {
    return (await this.dataSource.getRepository(HeldOrderRow).find()).map((row) => row.orderId);
  }

  write({
    sent,
    closedSlices,
    endedOrders,
    held = [],
    released = [],
  }: WorkingSliceChanges): CheckpointWrite | undefined {
    if (sent.length + closedSlices.length + endedOrders.length + held.length + released.length === 0) {
      return undefined;
    }
    return async (tx) => {
      const rows = tx.getRepository(WorkingSliceRow);
      const heldRows = tx.getRepository(HeldOrderRow);
      if (sent.length > 0) await rows.upsert(sent, ['childId']);
      if (closedSlices.length > 0) await rows.delete({ childId: In(closedSlices) });
      if (held.length > 0)
        await heldRows.upsert(
          held.map((orderId) => ({ orderId })),
          ['orderId'],
        );
      const done = [...released, ...endedOrders];
      if (done.length > 0) await heldRows.delete({ orderId: In(done) });
      if (endedOrders.length > 0) await rows.delete({ orderId: In(endedOrders) });
    };
  }
}

/** Nothing survives the process (backtests): the gateway's memory is the whole record. */
export class NoWorkingSliceRecord implements WorkingSliceRecord {
  async load(): Promise<WorkingSlice[]> {
    return [];
  }

  async loadHeld(): Promise<string[]> {
    return [];
  }

  write(): undefined {
    return undefined;
  }
}
