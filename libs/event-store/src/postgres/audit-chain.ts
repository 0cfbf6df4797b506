import { createHash } from 'crypto';
import { positionKey } from '../event-store';
import { PostgresEventStore } from './postgres-event-store';

/** What a check of the chain found wrong first, if anything. */
export type ChainProblemKind = 'altered' | 'deleted' | 'inserted' | 'reordered' | 'rewritten';

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
export function canonical(value: unknown): string {
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

/** An event's bytes as the chain covers them, whichever store holds it. */
export interface ChainedEvent {
  stream: string;
  revision: string;
  eventId: string;
  type: string;
  data: unknown;
  metadata: unknown;
  recordedAt: Date;
}

/** H(previous hash, the event's bytes: stream, revision, id, type, data, metadata, recorded time). */
export function eventChainHash(previous: Buffer, e: ChainedEvent): Buffer {
  const bytes = canonical([
    e.stream,
    e.revision,
    e.eventId,
    e.type,
    e.data,
    e.metadata,
    e.recordedAt.toISOString(),
  ]);
  return createHash('sha256').update(previous).update(bytes).digest();
}

/** A stored row's link in the chain. */
export function chainHash(previous: Buffer, e: StoredRow): Buffer {
  return eventChainHash(previous, {
    stream: e.stream_name,
    revision: e.revision,
    eventId: e.event_id,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recorded_at,
  });
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
      const seqs: string[] = [];
      const hashes: Buffer[] = [];
      for (const e of events) {
        previous = chainHash(previous, e);
        seq += 1n;
        seqs.push(seq.toString());
        hashes.push(previous);
      }
      if (events.length > 0) {
        // One statement for the batch: chaining keeps up with thousands of events a second.
        await client.query(
          `INSERT INTO es_chain (seq, tx, position, hash)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[])`,
          [seqs, events.map((e) => e.tx), events.map((e) => e.position), hashes],
        );
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
   * Recomputes the chain from the rows, oldest first, and reports the first break. The chain and the
   * log are walked side by side a page at a time, so memory does not grow with the log. `onProgress`
   * is told how many of how many chained events it has checked.
   */
  async verify(
    anchor?: { count: number; hash: string } | null,
    onProgress?: (checked: number, total: number) => void,
  ): Promise<ChainVerification> {
    const pool = this.store.connectionPool;
    const { rows: heads } = await pool.query<ChainRow>(
      'SELECT seq::text, tx, position::text, hash FROM es_chain ORDER BY es_chain.seq DESC LIMIT 1',
    );
    const head = heads[0];
    if (!head) return { ok: true, checked: 0, problem: null, head: null };
    const total = Number(head.seq);
    const headTx = BigInt(head.tx);
    const headPosition = BigInt(head.position);
    const withinHead = (e: StoredRow) => {
      const tx = BigInt(e.tx);
      return tx < headTx || (tx === headTx && BigInt(e.position) <= headPosition);
    };
    const links = keysetPages<ChainRow>(async (after) => {
      const { rows } = await pool.query<ChainRow>(
        `SELECT seq::text, tx, position::text, hash FROM es_chain WHERE es_chain.seq > $1
          ORDER BY es_chain.seq LIMIT ${CHAIN_PAGE}`,
        [after?.seq ?? '0'],
      );
      return rows;
    });
    const events = keysetPages<StoredRow>(async (after) => {
      const { rows } = await pool.query<StoredRow>(
        `SELECT ${STORED_COLUMNS} FROM es_events
          WHERE (es_events.transaction_id, es_events.position) > ($1::text::xid8, $2::bigint)
          ORDER BY es_events.transaction_id, es_events.position LIMIT ${CHAIN_PAGE}`,
        [after?.tx ?? '0', after?.position ?? '0'],
      );
      return rows;
    });
    const broken = (kind: ChainProblemKind, position: string, detail: string): ChainVerification => ({
      ok: false,
      checked: 0,
      problem: { kind, position, detail },
      head: anchorOf(head),
    });
    /** Why the log and the chain part ways at this link (and this event, if any). */
    const whyApart = async (link: ChainRow, event: StoredRow | null): Promise<ChainVerification> => {
      const { rows: present } = await pool.query('SELECT 1 FROM es_events WHERE es_events.position = $1', [
        link.position,
      ]);
      if (present.length === 0)
        return broken('deleted', keyOf(link), `event ${link.seq} of the chain is no longer in the log`);
      if (event && withinHead(event)) {
        const { rows: chained } = await pool.query('SELECT 1 FROM es_chain WHERE es_chain.position = $1', [
          event.position,
        ]);
        if (chained.length === 0) {
          return broken('inserted', keyOf(event), `${event.stream_name}@${event.revision} was never chained`);
        }
      }
      return broken(
        'reordered',
        keyOf(link),
        `event ${link.seq} of the chain is not where it was in the log order`,
      );
    };
    let previous: Buffer = GENESIS;
    let checked = 0;
    let link = await links.next();
    let event = await events.next();
    while (link) {
      if (!event || event.position !== link.position) return whyApart(link, event);
      if (event.tx !== link.tx) {
        return broken(
          'reordered',
          keyOf(link),
          `event ${link.seq} of the chain now stands elsewhere in the log order`,
        );
      }
      if (!chainHash(previous, event).equals(link.hash)) {
        return broken(
          'altered',
          keyOf(link),
          `event ${link.seq} (${event.stream_name}@${event.revision}) is not what was chained`,
        );
      }
      previous = link.hash;
      checked++;
      if (anchor && checked === anchor.count && link.hash.toString('hex') !== anchor.hash) {
        return broken(
          'rewritten',
          keyOf(link),
          `the chain up to event ${link.seq} is not the one anchored (${anchor.hash})`,
        );
      }
      if (onProgress && checked % 10_000 === 0) onProgress(checked, total);
      link = await links.next();
      event = await events.next();
    }
    // Nothing may stand among the chained events without being chained.
    if (event && withinHead(event)) {
      return broken('inserted', keyOf(event), `${event.stream_name}@${event.revision} was never chained`);
    }
    if (anchor && anchor.count > checked) {
      return broken(
        'rewritten',
        anchorOf(head).position,
        `the chain is shorter (${checked}) than the anchor (${anchor.count})`,
      );
    }
    // A row no transaction could have written (an id not yet given out) was put there by hand.
    const { rows: forged } = await pool.query<StoredRow>(
      `SELECT ${STORED_COLUMNS} FROM es_events WHERE es_events.transaction_id >= pg_snapshot_xmax(pg_current_snapshot())
        ORDER BY es_events.transaction_id, es_events.position LIMIT 1`,
    );
    if (forged[0]) {
      return broken(
        'inserted',
        keyOf(forged[0]),
        `${forged[0].stream_name}@${forged[0].revision} claims a transaction that has not happened`,
      );
    }
    onProgress?.(checked, total);
    return { ok: true, checked, problem: null, head: anchorOf(head) };
  }
}

/** Rows read at a time when a chain is walked. */
export const CHAIN_PAGE = 5_000;

/**
 * Rows one at a time, read a page at a time by keyset (`after` is the last row read); a page shorter
 * than a full one (`CHAIN_PAGE`, which `read` must ask for) is the last.
 */
export function keysetPages<T>(read: (after: T | null) => Promise<T[]>): { next(): Promise<T | null> } {
  let page: T[] = [];
  let index = 0;
  let last: T | null = null;
  let done = false;
  return {
    async next() {
      if (index >= page.length) {
        if (done) return null;
        page = await read(last);
        index = 0;
        if (page.length < CHAIN_PAGE) done = true;
        if (page.length === 0) return null;
      }
      last = page[index++];
      return last;
    },
  };
}

function anchorOf(row: ChainRow): ChainAnchor {
  return {
    count: Number(row.seq),
    position: positionKey({ commit: BigInt(row.tx), prepare: BigInt(row.position) }),
    hash: row.hash.toString('hex'),
  };
}
