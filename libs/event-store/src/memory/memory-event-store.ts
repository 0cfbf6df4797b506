import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import {
  AppendResult,
  BatchHandler,
  DuplicateEventId,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  START,
  StreamAppend,
  SubscribeToAllOptions,
  Subscription,
  checkExpectedRevision,
  requireDistinctStreams,
  comparePositions,
  matchesFilter,
} from '../event-store';
import { LogPage, runSubscription } from '../subscription';
import { Upcasters } from '../upcasting';

/** The same semantics as the durable stores, in one process's memory: unit tests and fast backtests. */
export class MemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byEventId = new Map<string, RecordedEvent>();
  private readonly appended = new EventEmitter();

  constructor(
    private readonly upcasters = new Upcasters(),
    private readonly now: () => Date = () => new Date(),
  ) {
    this.appended.setMaxListeners(0);
  }

  async appendToStream(
    stream: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.appendAll([{ stream, events, expectedRevision }])[0];
  }

  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    return this.appendAll(appends);
  }

  private appendAll(appends: StreamAppend[]): AppendResult[] {
    requireDistinctStreams(appends);
    // Every member is decided before any is written: all or nothing.
    const plans = appends.map((a) => this.plan(a));
    const results = plans.map((plan, i) => ('done' in plan ? plan.done : this.write(appends[i], plan.ids)));
    if (plans.some((plan) => !('done' in plan))) this.appended.emit('append');
    return results;
  }

  /** What appending one member would do: nothing (an idempotent repeat), or write under these ids. */
  private plan({
    stream,
    events,
    expectedRevision,
  }: StreamAppend): { done: AppendResult } | { ids: string[] } {
    const existing = this.streams.get(stream) ?? [];
    const ids = events.map((e) => e.eventId ?? randomUUID());
    const known = ids.map((id) => this.byEventId.get(id)).filter((e): e is RecordedEvent => e !== undefined);
    if (known.length > 0) {
      if (known.length === ids.length && known.every((e) => e.streamName === stream)) {
        const last = known[known.length - 1];
        return { done: { nextExpectedRevision: last.revision, position: last.position } };
      }
      throw new DuplicateEventId(
        stream,
        known.map((e) => e.eventId),
      );
    }
    checkExpectedRevision(
      stream,
      expectedRevision,
      existing.length === 0 ? null : BigInt(existing.length - 1),
    );
    if (events.length === 0) {
      return { done: { nextExpectedRevision: BigInt(existing.length - 1), position: this.head() } };
    }
    return { ids };
  }

  private write({ stream, events }: StreamAppend, ids: string[]): AppendResult {
    const recordedAt = this.now();
    const list = [...(this.streams.get(stream) ?? [])];
    events.forEach((event, i) => {
      const sequence = BigInt(this.log.length);
      const recorded: RecordedEvent = {
        eventId: ids[i],
        streamName: stream,
        revision: BigInt(list.length),
        position: { commit: sequence, prepare: sequence },
        type: event.type,
        data: structuredClone(event.data),
        metadata: { ...event.metadata },
        recordedAt,
      };
      list.push(recorded);
      this.log.push(recorded);
      this.byEventId.set(recorded.eventId, recorded);
    });
    this.streams.set(stream, list);
    const last = list[list.length - 1];
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const events = this.streams.get(stream) ?? [];
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    let selected: RecordedEvent[];
    if (backwards) {
      const top = from === 'end' ? events.length - 1 : from === 'start' ? 0 : Number(from);
      selected = events.slice(0, top + 1).reverse();
    } else {
      const bottom = from === 'start' ? 0 : from === 'end' ? events.length : Number(from);
      selected = events.slice(bottom);
    }
    return selected.slice(0, options.maxCount ?? selected.length).map((e) => this.copy(e));
  }

  async streamRevision(stream: string): Promise<bigint | null> {
    const events = this.streams.get(stream);
    return events && events.length > 0 ? BigInt(events.length - 1) : null;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.page(
      options.fromPosition ?? START,
      options.maxCount ?? Number.MAX_SAFE_INTEGER,
      options.filter,
    ).events;
  }

  async headPosition(): Promise<GlobalPosition> {
    return this.head();
  }

  subscribeToAll(options: SubscribeToAllOptions, handler: BatchHandler): Subscription {
    // The log's length at the subscription's last read: what was appended since (while its handler
    // ran, say) is read at once, not after the next append or the idle wake.
    let lengthAtRead = 0;
    return runSubscription(
      {
        readPage: async (from, max, o) => {
          lengthAtRead = this.log.length;
          return this.page(from, max, o.filter);
        },
        waitForAppends: (timeoutMs) =>
          new Promise<void>((resolve) => {
            if (this.log.length !== lengthAtRead) return resolve();
            const done = () => {
              clearTimeout(timer);
              this.appended.off('append', done);
              resolve();
            };
            const timer = setTimeout(done, timeoutMs);
            timer.unref();
            this.appended.once('append', done);
          }),
      },
      options,
      handler,
    );
  }

  async close(): Promise<void> {
    this.appended.removeAllListeners();
  }

  private page(from: GlobalPosition, max: number, filter: ReadAllOptions['filter']): LogPage {
    const events: RecordedEvent[] = [];
    let scannedTo: GlobalPosition | undefined;
    // The log is in position order; start after `from`.
    let i = from.commit < 0n ? 0 : Number(from.commit) + 1;
    for (; i < this.log.length && events.length < max; i++) {
      const e = this.log[i];
      if (comparePositions(e.position, from) <= 0) continue;
      scannedTo = e.position;
      if (matchesFilter(filter, e.streamName, e.type)) events.push(this.copy(e));
    }
    return { events, scannedTo };
  }

  private head(): GlobalPosition {
    return this.log.length === 0 ? START : this.log[this.log.length - 1].position;
  }

  private copy(e: RecordedEvent): RecordedEvent {
    return this.upcasters.apply({ ...e, data: structuredClone(e.data), metadata: { ...e.metadata } });
  }
}
