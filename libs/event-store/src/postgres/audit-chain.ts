import { createHash } from 'crypto';
import { positionKey } from '../event-store';
import { PostgresEventStore } from './postgres-event-store';

/** What a check of the chain found wrong first, if anything. */
export type ChainProblemKind = 'altered' | 'deleted' | 'inserted' | 'reordered';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The log position (`positionKey`) where the chain first breaks. */
  position: string;
  detail: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Chained events checked. */
  checked: number;
  problem: ChainProblem | null;
  head: ChainAnchor | null;
}

/** The chain's head: keep it somewhere else, and a rewrite of the whole chain shows against it. */
export interface ChainAnchor {
  count: number;
  position: string;
  hash: string;
}

const GENESIS: Buffer = Buffer.alloc(32);
/** One writer at a time: every process that runs the chain tries; one extends it. */
const CHAIN_LOCK = 727_275;

/** JSON with object keys in one order, so the same event always gives the same bytes. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An event as stored: the chain covers the bytes written, never an upcast reading of them. */
interface StoredRow {
  position: string;
  tx: string;
  stream_name: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  recorded_at: Date;
}

// Output names shadow columns in ORDER BY: every ORDER BY below names its table, so numbers sort as numbers.
const STORED_COLUMNS = `position::text, transaction_id::text AS tx, stream_name, revision::text, event_id, type, data, metadata, recorded_at`;

/** H(previous hash, the event's bytes: stream, revision, id, type, data, metadata, recorded time). */
export function chainHash(previous: Buffer, e: StoredRow): Buffer {
  const bytes = canonical([
    e.stream_name,
    e.revision,
    e.event_id,
    e.type,
    e.data,
    e.metadata,
    e.recorded_at.toISOString(),
  ]);
  return createHash('sha256').update(previous).update(bytes).digest();
}

const keyOf = (e: { tx: string; position: string }) =>
  positionKey({ commit: BigInt(e.tx), prepare: BigInt(e.position) });

interface ChainRow {
  seq: string;
  tx: string;
  position: string;
  hash: Buffer;
}

/**
 * A tamper-evident chain over the PostgreSQL event log: every event, in log order, gets
 * hash = SHA-256(previous hash, its canonical bytes), kept in `es_chain`. `extend` chains what has
 * been committed since the head (run it often: an event can be changed unnoticed only until it is
 * chained); `verify` recomputes the chain from the rows and names the first position where it breaks
 * and how (altered, deleted, inserted, reordered). A rewrite of rows and chain together is found
 * against an anchor (`anchor()`) kept elsewhere.
 */
export class PostgresAuditChain {
  constructor(private readonly store: PostgresEventStore) {}

  /** Chains up to `max` events committed after the head; answers how many it chained. */
  async extend(max = 5_000): Promise<number> {
    const client = await this.store.connectionPool.connect();
    try {
      await client.query('BEGIN');
      const { rows: locked } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS ok',
        [CHAIN_LOCK],
      );
      if (!locked[0].ok) {
        await client.query('ROLLBACK');
        return 0;
      }
      const { rows } = await client.query<ChainRow>(
        'SELECT seq::text, tx, position::text, hash FROM es_chain ORDER BY es_chain.seq DESC LIMIT 1',
      );
      const head = rows[0];
      // In log order, only below the oldest transaction still open: nothing committed later can come
      // before what is chained.
      const { rows: events } = await client.query<StoredRow>(
        `SELECT ${STORED_COLUMNS} FROM es_events
          WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY es_events.transaction_id, es_events.position LIMIT $3`,
        [head?.tx ?? '0', head?.position ?? '0', max],
      );
      let previous: Buffer = head ? head.hash : GENESIS;
      let seq = head ? BigInt(head.seq) : 0n;
      for (const e of events) {
        previous = chainHash(previous, e);
        seq += 1n;
        await client.query('INSERT INTO es_chain (seq, tx, position, hash) VALUES ($1, $2, $3, $4)', [
          seq.toString(),
          e.tx,
          e.position,
          previous,
        ]);
      }
      await client.query('COMMIT');
      return events.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async anchor(): Promise<ChainAnchor | null> {
    const { rows } = await this.store.connectionPool.query<ChainRow>(
      'SELECT seq::text, tx, position::text, hash FROM es_chain ORDER BY es_chain.seq DESC LIMIT 1',
    );
    return rows[0] ? anchorOf(rows[0]) : null;
  }

  /**
   * Recomputes the chain from the rows, oldest first, and reports the first break. `onProgress` is
   * told how many of how many chained events it has checked.
   */
  async verify(onProgress?: (checked: number, total: number) => void): Promise<ChainVerification> {
    const pool = this.store.connectionPool;
    const { rows: chain } = await pool.query<ChainRow>(
      'SELECT seq::text, tx, position::text, hash FROM es_chain ORDER BY es_chain.seq',
    );
    if (chain.length === 0) return { ok: true, checked: 0, problem: null, head: null };
    const head = chain[chain.length - 1];
    const headKey = { commit: BigInt(head.tx), prepare: BigInt(head.position) };
    // Every committed row as it is now, in log order.
    const { rows: events } = await pool.query<StoredRow>(
      `SELECT ${STORED_COLUMNS} FROM es_events ORDER BY es_events.transaction_id, es_events.position`,
    );
    const byPosition = new Map(events.map((e) => [e.position, e]));
    const chained = new Set(chain.map((c) => c.position));
    const problem = (kind: ChainProblemKind, position: string, detail: string): ChainVerification => ({
      ok: false,
      checked: 0,
      problem: { kind, position, detail },
      head: anchorOf(head),
    });
    // In the log's order now, the chained events must come in the chain's order.
    const inLogOrder = events.filter((e) => chained.has(e.position));
    let previous: Buffer = GENESIS;
    let next = 0;
    for (let i = 0; i < chain.length; i++) {
      const link = chain[i];
      const at = keyOf(link);
      const event = byPosition.get(link.position);
      if (!event) return problem('deleted', at, `event ${link.seq} of the chain is no longer in the log`);
      if (inLogOrder[next]?.position !== link.position) {
        return problem(
          'reordered',
          at,
          `event ${link.seq} of the chain is not where it was in the log order`,
        );
      }
      next++;
      const hash = chainHash(previous, event);
      if (!hash.equals(link.hash)) {
        return problem(
          'altered',
          at,
          `event ${link.seq} (${event.stream_name}@${event.revision}) is not what was chained`,
        );
      }
      previous = link.hash;
      if (onProgress && (i + 1) % 10_000 === 0) onProgress(i + 1, chain.length);
    }
    // Nothing may stand among the chained events without being chained.
    const stray = events.find((e) => {
      if (chained.has(e.position)) return false;
      const tx = BigInt(e.tx);
      return tx < headKey.commit || (tx === headKey.commit && BigInt(e.position) <= headKey.prepare);
    });
    if (stray)
      return problem('inserted', keyOf(stray), `${stray.stream_name}@${stray.revision} was never chained`);
    onProgress?.(chain.length, chain.length);
    return { ok: true, checked: chain.length, problem: null, head: anchorOf(head) };
  }
}

function anchorOf(row: ChainRow): ChainAnchor {
  return {
    count: Number(row.seq),
    position: positionKey({ commit: BigInt(row.tx), prepare: BigInt(row.position) }),
    hash: row.hash.toString('hex'),
  };
}
