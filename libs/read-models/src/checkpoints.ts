import { GlobalPosition, START, parsePositionKey } from '@oms/event-store';
import { DataSource } from 'typeorm';

/** Where a subscriber (a projection, the account ledger) last got to; START when it never ran. */
export async function loadCheckpoint(dataSource: DataSource, name: string): Promise<GlobalPosition> {
  const [row] = (await dataSource.query('SELECT position FROM rm_checkpoints WHERE projection = $1', [
    name,
  ])) as {
    position: string;
  }[];
  return row ? parsePositionKey(row.position) : START;
}
