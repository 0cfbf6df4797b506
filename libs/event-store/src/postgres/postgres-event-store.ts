import { randomUUID } from 'crypto';
import { Client, Pool, PoolConfig } from 'pg';
import {
  AppendResult,
  BatchHandler,
  DuplicateEventId,
  EventFilter,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  NO_STREAM,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  START,
  StreamAppend,
  SubscribeToAllOptions,
  Subscription,
  WrongExpectedVersion,
  checkExpectedRevision,
  requireDistinctStreams,
} from '../event-store';
import { LogPage, runSubscription } from '../subscription';
import { Upcasters } from '../upcasting';

const CHANNEL = 'es_appended';
const MAX_GROUPS_IN_FLIGHT = 2;
/** Events per group transaction at most. */
const GROUP_EVENT_BUDGET = 500;
/**
 * The backlog that justifies a second transaction in flight: a quarter of a group. Writers that each
 * wait for their previous append (a hot account, one batch at a time) never queue a full group, and
 * with one transaction in flight the server sat idle between them.
 */
const SECOND_GROUP_EVENTS = 125;

/** One stream's part of a queued append. */
interface PendingMember {
  stream: string;
  expectedRevision: ExpectedRevision;
  events: NewEvent[];
  ids: string[];
}

/** A queued append: one member (appendToStream) or several written all or nothing (appendToStreams). */
interface PendingUnit {
  members: PendingMember[];
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

interface AppendOutcomeRow {
  ordinal: number;
  outcome: string;
  revision: string | null;
  last_position: string | null;
  last_transaction: string | null;
  detail: string | null;
}

interface EventRow {
  position: string;
  transaction_text: string;
  stream_name: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

/** Events after ($1, $2) in log order, below the oldest open transaction, of categories $3 and types $4. */
const FILTER_CONDITION = `($3::text[] IS NULL OR split_part(stream_name, '-', 1) = ANY ($3))
  AND ($4::text[] IS NULL OR type = ANY ($4))`;

const PAGE_CONDITION = `(transaction_id, position) > ($1::text::xid8, $2::bigint)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND ${FILTER_CONDITION}`;

// The text form gets its own name: an alias `transaction_id` would make ORDER BY sort ids as text.
const EVENT_COLUMNS = `position, transaction_id::text AS transaction_text, stream_name, revision, event_id, type, data, metadata, recorded_at`;

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Connections for appends and reads (the LISTEN connection is separate). */
  poolSize?: number;
  upcasters?: Upcasters;
  /** A subscriber with nothing held back reads again after this even without a notice (a safety net). */
  idleWakeMs?: number;
  /** A subscriber whose wanted events an older open transaction holds back reads again this often. */
  heldBackPollMs?: number;
}

/**
 * PostgreSQL event store. Appends are grouped: concurrent appends go to the server together in one
 * call of `es_append_many` (see the migrations): one round trip, one transaction, one commit, each
 * append (a single stream, or an atomic one over several) decided on its own so a conflict fails only
 * that append. The global order is (transaction id, row position), and readers only
 * see events of transactions older than the oldest one still running: a transaction that commits late
 * is never skipped, and one that rolls back leaves no gap to wait for.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private listener: Client | null = null;
  private listening: Promise<void> | null = null;
  /** One per subscription: the notices its filter could match, and how to wake it. */
  private readonly watchers = new Set<Watcher>();
  private readonly queue: PendingUnit[] = [];
  private notices = 0;
  private groupsInFlight = 0;
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly options: PostgresEventStoreOptions) {
    const config: PoolConfig = { connectionString: options.connectionString, max: options.poolSize ?? 16 };
    this.pool = new Pool(config);
    // An idle client's network error must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private get upcasters(): Upcasters {
    return this.options.upcasters ?? NO_UPCASTERS;
  }

  async appendToStream(
    stream: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) {
      const current = await this.streamRevision(stream);
      checkExpectedRevision(stream, expectedRevision, current);
      return { nextExpectedRevision: current ?? -1n, position: START };
    }
    const [result] = await this.enqueue([{ stream, events, expectedRevision }]);
    return result;
  }

  /**
   * Joins the group commit like any append, as one unit: the group's function writes every member or
   * none (see the migrations), and subscribers read by transaction, so they are handed all of it or
   * none. A member without events checks its stream's revision and writes nothing.
   */
  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    requireDistinctStreams(appends);
    if (appends.length === 0) return [];
    return this.enqueue(appends);
  }

  private enqueue(appends: StreamAppend[]): Promise<AppendResult[]> {
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({
        members: appends.map(({ stream, events, expectedRevision }) => ({
          stream,
          expectedRevision,
          events,
          ids: events.map((e) => e.eventId ?? randomUUID()),
        })),
        resolve,
        reject,
      });
      this.scheduleFlush();
    });
  }

  /**
   * Flushes once the current burst of work is done: appends made by the same wave of callbacks (say,
   * every caller a finished group released) go out together instead of the first one alone.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Group commit. One transaction in flight gathers small appends into large groups (fewer commits);
   * a second starts when a quarter of a group's worth of events is waiting, which is when parallel
   * commits pay off. An idle store sends each append at once.
   */
  private flush(): void {
    while (
      this.queue.length > 0 &&
      (this.groupsInFlight === 0 ||
        (this.groupsInFlight < MAX_GROUPS_IN_FLIGHT && this.queuedEvents() >= SECOND_GROUP_EVENTS))
    ) {
      let events = 0;
      let size = 0;
      while (
        size < this.queue.length &&
        (size === 0 || events + unitEvents(this.queue[size]) <= GROUP_EVENT_BUDGET)
      ) {
        events += unitEvents(this.queue[size]);
        size++;
      }
      const group = this.queue.splice(0, size);
      this.groupsInFlight++;
      void this.appendGroup(group).finally(() => {
        this.groupsInFlight--;
        this.scheduleFlush();
      });
    }
  }

  private queuedEvents(): number {
    let total = 0;
    for (const unit of this.queue) total += unitEvents(unit);
    return total;
  }

  private async appendGroup(group: PendingUnit[]): Promise<void> {
    // One lock order for every group (by stream; arrival order within a stream): groups never deadlock.
    const members = group
      .flatMap((unit, u) => unit.members.map((member, m) => ({ ...member, unit: u, index: m })))
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    let rows: AppendOutcomeRow[];
    try {
      ({ rows } = await this.pool.query<AppendOutcomeRow>(
        'SELECT * FROM es_append_many($1, $2, $3, $4, $5::uuid[], $6::text[], $7::jsonb[], $8::jsonb[])',
        [
          members.map((a) => a.stream),
          members.map((a) =>
            typeof a.expectedRevision === 'bigint' ? a.expectedRevision.toString() : a.expectedRevision,
          ),
          members.map((a) => a.events.length),
          members.map((a) => a.unit + 1),
          members.flatMap((a) => a.ids),
          members.flatMap((a) => a.events.map((e) => e.type)),
          members.flatMap((a) => a.events.map((e) => JSON.stringify(e.data))),
          members.flatMap((a) => a.events.map((e) => JSON.stringify(e.metadata))),
        ],
      ));
    } catch (error) {
      for (const unit of group) unit.reject(error);
      return;
    }
    const results = group.map((unit) => new Array<AppendResult>(unit.members.length));
    const failures = group.map((): Error | null => null);
    for (const row of rows) {
      const member = members[row.ordinal - 1];
      if (row.outcome === 'appended' || row.outcome === 'duplicate' || row.outcome === 'checked') {
        results[member.unit][member.index] = {
          nextExpectedRevision: BigInt(row.revision as string),
          position:
            row.last_transaction === null
              ? START
              : { commit: BigInt(row.last_transaction), prepare: BigInt(row.last_position as string) },
        };
      } else if (row.outcome !== 'aborted') {
        failures[member.unit] ??= appendFailure(member, row);
      }
    }
    group.forEach((unit, u) => {
      const failure = failures[u];
      if (failure) unit.reject(failure);
      // Every member answered (an array with holes would pass `some`: count what is there).
      else if (results[u].filter((r) => r !== undefined).length !== unit.members.length) {
        unit.reject(new Error(`Append to ${unit.members.map((m) => m.stream).join(', ')} was not decided.`));
      } else unit.resolve(results[u]);
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const limit = options.maxCount ?? null;
    const bound =
      from === 'start' ? (backwards ? -1n : 0n) : from === 'end' ? (backwards ? null : 1n << 62n) : from;
    const { rows } = await this.pool.query<EventRow>(
      backwards
        ? `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_name = $1 AND ($2::bigint IS NULL OR revision <= $2)
           ORDER BY revision DESC LIMIT $3`
        : `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_name = $1 AND revision >= $2
           ORDER BY revision ASC LIMIT $3`,
      [stream, bound === null ? null : bound.toString(), limit],
    );
    return rows.map((r) => this.toRecorded(r));
  }

  async streamRevision(stream: string): Promise<bigint | null> {
    const { rows } = await this.pool.query<{ revision: string }>(
      'SELECT revision FROM es_streams WHERE stream_name = $1 AND revision >= 0',
      [stream],
    );
    return rows.length === 0 ? null : BigInt(rows[0].revision);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readEvents(options.fromPosition ?? START, options.maxCount ?? 1_000_000, options.filter);
  }

  async headPosition(): Promise<GlobalPosition> {
    const { rows } = await this.pool.query<{ tx: string; position: string }>(
      `SELECT transaction_id::text AS tx, position FROM es_events
        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id DESC, position DESC LIMIT 1`,
    );
    return rows.length === 0 ? START : { commit: BigInt(rows[0].tx), prepare: BigInt(rows[0].position) };
  }

  subscribeToAll(options: SubscribeToAllOptions, handler: BatchHandler): Subscription {
    // Per subscription: its last short read left committed events it wants hidden behind an older open transaction.
    let behindOpenTransaction = false;
    const watcher: Watcher = { filter: options.filter, notices: 0, wake: null };
    let noticesAtRead = 0;
    this.watchers.add(watcher);
    const subscription = runSubscription(
      {
        readPage: async (from, max, o) => {
          noticesAtRead = watcher.notices;
          const page = await this.readPage(from, max, o.filter);
          behindOpenTransaction = page.events.length < max && page.hidden;
          return page;
        },
        waitForAppends: (timeoutMs) =>
          this.waitForAppends(
            watcher,
            behindOpenTransaction ? Math.min(timeoutMs, this.options.heldBackPollMs ?? 20) : timeoutMs,
            noticesAtRead,
          ),
        isBehind: () => behindOpenTransaction,
      },
      options,
      handler,
      this.options.idleWakeMs,
    );
    void subscription.done
      .catch(() => undefined)
      .finally(() => {
        this.watchers.delete(watcher);
        watcher.wake?.(); // its wait's timer goes with it
      });
    return subscription;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const watcher of this.watchers) watcher.wake?.();
    if (this.listener) await this.listener.end().catch(() => undefined);
    await this.pool.end();
  }

  /** Commit notices this store's listener has received, matching a subscriber or not (diagnostics, tests). */
  get noticesHeard(): number {
    return this.notices;
  }

  /** Raw access for migrations-free tooling (benchmarks, tests); not part of the port. */
  get connectionPool(): Pool {
    return this.pool;
  }

  /** A page of the log for a reader (readAll): events only. */
  private async readEvents(
    from: GlobalPosition,
    max: number,
    filter?: EventFilter,
  ): Promise<RecordedEvent[]> {
    const start = from.commit < 0n ? { commit: 0n, prepare: 0n } : from;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE ${PAGE_CONDITION} ORDER BY transaction_id, position LIMIT $5`,
      [
        start.commit.toString(),
        start.prepare.toString(),
        filter?.streamCategories ?? null,
        filter?.eventTypes ?? null,
        max,
      ],
    );
    return rows.map((r) => this.toRecorded(r));
  }

  /** A page for a subscriber: the events, how far the read looked, and whether it is held back. */
  private async readPage(
    from: GlobalPosition,
    max: number,
    filter?: EventFilter,
  ): Promise<LogPage & { hidden: boolean }> {
    const start = from.commit < 0n ? { commit: 0n, prepare: 0n } : from;
    // One statement, so one snapshot: the page and the last event below the horizon agree, and a
    // filtered read can move past what it skipped without stepping over a later match.
    const { rows } = await this.pool.query<
      EventRow & { scanned_tx: string | null; scanned_position: string | null; hidden: boolean }
    >(
      `WITH page AS (
         SELECT ${EVENT_COLUMNS}, transaction_id AS tx FROM es_events WHERE ${PAGE_CONDITION}
          ORDER BY transaction_id, position
          LIMIT $5
       ), scanned AS (
         SELECT transaction_id::text AS scanned_tx, position AS scanned_position FROM es_events
          WHERE $6 AND (transaction_id, position) > ($1::text::xid8, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id DESC, position DESC
          LIMIT 1
       )
       SELECT page.*, scanned.*,
              -- Only for a short page: committed events this reader wants, after the start, that an
              -- older open transaction still holds back. Ordered with LIMIT 1 so the plan is an index
              -- range from the horizon: as an EXISTS the planner guessed a third of the log matches
              -- and scanned all of it, on every poll.
              CASE WHEN (SELECT count(*) FROM page) < $5 THEN
                coalesce((SELECT true FROM es_events
                           WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                             AND (transaction_id, position) > ($1::text::xid8, $2::bigint)
                             AND ${FILTER_CONDITION}
                           ORDER BY transaction_id, position LIMIT 1), false)
              ELSE false END AS hidden
         FROM (SELECT) one LEFT JOIN scanned ON true LEFT JOIN page ON true
        ORDER BY page.tx, page.position`,
      [
        start.commit.toString(),
        start.prepare.toString(),
        filter?.streamCategories ?? null,
        filter?.eventTypes ?? null,
        max,
        filter !== undefined,
      ],
    );
    const events = rows.filter((r) => r.event_id !== null).map((r) => this.toRecorded(r));
    const scanned = rows[0]?.scanned_tx ?? null;
    // A full page stops at its last event; a short one has looked through everything below the horizon.
    const scannedTo =
      scanned === null || events.length === max
        ? undefined
        : { commit: BigInt(scanned), prepare: BigInt(rows[0].scanned_position as string) };
    return { events, scannedTo, hidden: rows[0]?.hidden ?? false };
  }

  /**
   * Woken by NOTIFY (sent by every append on commit). The timeout is only a safety net: it is short
   * while committed events are hidden behind an older open transaction (which may roll back without
   * notifying anyone), and long otherwise.
   */
  private async waitForAppends(watcher: Watcher, wait: number, noticesAtRead: number): Promise<void> {
    if (this.closed) return;
    await this.ensureListening();
    if (watcher.notices !== noticesAtRead) return; // a matching append committed since the last read
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        watcher.wake = null;
        resolve();
      }, wait);
      timer.unref();
      watcher.wake = () => {
        clearTimeout(timer);
        watcher.wake = null;
        resolve();
      };
    });
  }

  private ensureListening(): Promise<void> {
    if (!this.listening) {
      this.listening = (async () => {
        const client = new Client({ connectionString: this.options.connectionString });
        client.on('notification', (message) => {
          this.notices++;
          const notice = parseNotice(message.payload);
          for (const watcher of this.watchers) {
            if (!mayMatch(notice, watcher.filter)) continue;
            watcher.notices++;
            watcher.wake?.();
          }
        });
        // If the LISTEN connection drops, listen again on the next wait; the safety timeout covers the gap.
        client.on('error', () => {
          this.listener = null;
          this.listening = null;
        });
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
      })().catch((error) => {
        this.listening = null;
        throw error;
      });
    }
    return this.listening;
  }

  private toRecorded(r: EventRow): RecordedEvent {
    return this.upcasters.apply({
      eventId: r.event_id,
      streamName: r.stream_name,
      revision: BigInt(r.revision),
      position: { commit: BigInt(r.transaction_text), prepare: BigInt(r.position) },
      type: r.type,
      data: r.data,
      metadata: r.metadata,
      recordedAt: r.recorded_at,
    });
  }
}

const NO_UPCASTERS = new Upcasters();

/** Events a queued unit writes, counted for the group's budget (a revision check counts as one). */
function unitEvents(unit: PendingUnit): number {
  let events = 0;
  for (const member of unit.members) events += Math.max(member.events.length, 1);
  return events;
}

/** Why the group's function refused a member, as the port's error. */
function appendFailure(member: PendingMember, row: AppendOutcomeRow): Error {
  if (row.outcome === 'wrong_expected_version') {
    const actual = BigInt(row.detail ?? '-1');
    return new WrongExpectedVersion(member.stream, member.expectedRevision, actual < 0n ? NO_STREAM : actual);
  }
  if (row.outcome === 'duplicate_event_id') return new DuplicateEventId(member.stream, member.ids);
  return new Error(`Append to ${member.stream} failed: ${row.outcome} ${row.detail ?? ''}`);
}

interface Watcher {
  filter: EventFilter | undefined;
  /** Notices that may concern this subscription, counted: one after its last read means read again. */
  notices: number;
  wake: (() => void) | null;
}

/** What a commit appended, from its notification; null when it did not say (wake everyone). */
type Notice = { categories: Set<string>; types: Set<string> } | null;

function parseNotice(payload: string | undefined): Notice {
  if (!payload) return null;
  const notice = { categories: new Set<string>(), types: new Set<string>() };
  for (const tag of payload.split(',')) {
    if (tag.startsWith('c:')) notice.categories.add(tag.slice(2));
    else if (tag.startsWith('t:')) notice.types.add(tag.slice(2));
  }
  return notice;
}

/** Could the commit hold an event the filter wants? (Per commit, not per event: it may wake in vain, never miss.) */
function mayMatch(notice: Notice, filter: EventFilter | undefined): boolean {
  if (notice === null || filter === undefined) return true;
  const categoriesOk =
    !filter.streamCategories || filter.streamCategories.some((c) => notice.categories.has(c));
  const typesOk = !filter.eventTypes || filter.eventTypes.some((t) => notice.types.has(t));
  return categoriesOk && typesOk;
}
