/**
 * The event store port. KurrentDB (formerly EventStoreDB) semantics: streams with 0-based revisions and optimistic
 * concurrency, one global order over all streams ($all), catch-up-then-live subscriptions.
 */

export const NO_STREAM = 'no_stream' as const;
export const ANY = 'any' as const;
export const STREAM_EXISTS = 'stream_exists' as const;
export type ExpectedRevision = typeof NO_STREAM | typeof ANY | typeof STREAM_EXISTS | bigint;

/**
 * A place in the global log, kept exact. For KurrentDB the commit and prepare positions; for
 * PostgreSQL the committing transaction id and the row's sequence; for memory the sequence twice.
 * Order is (commit, prepare).
 */
export interface GlobalPosition {
  commit: bigint;
  prepare: bigint;
}

export const START: GlobalPosition = { commit: -1n, prepare: -1n };

export function comparePositions(a: GlobalPosition, b: GlobalPosition): -1 | 0 | 1 {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

const WIDTH = 20;

/** A string whose lexical order is log order (for checkpoints, cursors and the ledger's sequence). */
export function positionKey(p: GlobalPosition): string {
  const pad = (n: bigint) => (n < 0n ? '-' : n.toString().padStart(WIDTH, '0'));
  return `${pad(p.commit)}/${pad(p.prepare)}`;
}

export function parsePositionKey(key: string): GlobalPosition {
  const match = /^(\d+)\/(\d+)$/.exec(key);
  if (!match) {
    if (key === '-/-') return START;
    throw new Error(`Not a log position: ${JSON.stringify(key)}`);
  }
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

export interface EventMetadata {
  /** The request or process this event belongs to. */
  correlationId: string;
  /** The event or command that directly caused this one (null for a user's own command). */
  causationId: string | null;
  /** Who or what did it: `user:<id>`, `venue:SIM-A`, `system:ledger`, … */
  actor: string;
  /** The credential a client's request came with: an API key's id, or `jwt:<principal id>`. */
  credential?: string;
  /** Version of the event's data shape; upcasters lift older versions on read. */
  schemaVersion?: number;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  /** Idempotency key: appending an event with an id the store already holds does not store it twice. */
  eventId?: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  eventId: string;
  streamName: string;
  revision: bigint;
  position: GlobalPosition;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** When the store committed it. */
  recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: the expected revision for the next append. */
  nextExpectedRevision: bigint;
  position: GlobalPosition;
}

export interface ReadStreamOptions {
  /** Inclusive; 'start' by default forwards, 'end' by default backwards. */
  fromRevision?: bigint | 'start' | 'end';
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

/** Matches by stream category (the part before the first '-') and/or event type. */
export interface EventFilter {
  streamCategories?: string[];
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. */
  fromPosition?: GlobalPosition;
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeToAllOptions {
  /** Exclusive: the last position the subscriber already handled (a checkpoint); START for everything. */
  fromPosition?: GlobalPosition;
  filter?: EventFilter;
  /** Most events handed over in one call. */
  batchSize?: number;
}

/**
 * The handler gets one batch at a time; the next batch is read only after its promise resolves
 * (back-pressure). A handler that throws stops the subscription, and `done` rejects with the error.
 */
export type BatchHandler = (events: RecordedEvent[]) => Promise<void>;

export interface Subscription {
  /** Resolves once the subscriber has been handed everything that existed when it started. */
  readonly caughtUp: Promise<void>;
  /** Resolves when stopped; rejects if the handler or the store failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** One member of an atomic append to several streams. */
export interface StreamAppend {
  stream: string;
  events: NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface EventStore {
  appendToStream(
    stream: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult>;
  /**
   * Appends to several streams at once, all or nothing: every member is checked against its expected
   * revision (a conflict on any is a WrongExpectedVersion for that stream, and nothing is written), and
   * subscribers are handed all of it or none. One member per stream. Results in the members' order.
   */
  appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]>;
  /** A missing stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Current revision of a stream, or null when it does not exist. */
  streamRevision(stream: string): Promise<bigint | null>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event a reader can see now; START for an empty log. */
  headPosition(): Promise<GlobalPosition>;
  subscribeToAll(options: SubscribeToAllOptions, handler: BatchHandler): Subscription;
  close(): Promise<void>;
}

/** Refuses a multi-stream append naming one stream twice. */
export function requireDistinctStreams(appends: readonly StreamAppend[]): void {
  const streams = new Set(appends.map((a) => a.stream));
  if (streams.size !== appends.length) {
    throw new Error(
      'An atomic append names each stream once; merge the events of one stream into one member.',
    );
  }
}

export class WrongExpectedVersion extends Error {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | typeof NO_STREAM,
  ) {
    super(`Append to ${stream} expected revision ${String(expected)} but the stream is at ${String(actual)}`);
    this.name = 'WrongExpectedVersion';
  }
}

/** Some, but not all, of an append's event ids are already stored: a client bug, never silently merged. */
export class DuplicateEventId extends Error {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(
    readonly stream: string,
    readonly eventIds: string[],
  ) {
    super(`Append to ${stream} reuses event ids already stored elsewhere: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEventId';
  }
}

export function streamCategory(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
}

export function matchesFilter(filter: EventFilter | undefined, stream: string, type: string): boolean {
  if (!filter) return true;
  if (filter.streamCategories && !filter.streamCategories.includes(streamCategory(stream))) return false;
  if (filter.eventTypes && !filter.eventTypes.includes(type)) return false;
  return true;
}

/** Checks an expected revision against the current one (null: no stream). */
export function checkExpectedRevision(
  stream: string,
  expected: ExpectedRevision,
  current: bigint | null,
): void {
  const actual = current ?? NO_STREAM;
  const ok =
    expected === ANY ||
    (expected === NO_STREAM && current === null) ||
    (expected === STREAM_EXISTS && current !== null) ||
    (typeof expected === 'bigint' && current === expected);
  if (!ok) throw new WrongExpectedVersion(stream, expected, actual);
}
