import { GlobalPosition, START, parsePositionKey, positionKey } from '@oms/event-store';
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

/** Records where a subscriber got to (after it handled everything up to `position`). */
export async function saveCheckpoint(
  dataSource: DataSource,
  name: string,
  position: GlobalPosition,
): Promise<void> {
  await dataSource.query(
    `INSERT INTO rm_checkpoints (projection, position, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [name, positionKey(position)],
  );
}
