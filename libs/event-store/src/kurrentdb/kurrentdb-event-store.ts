import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  START as KURRENT_START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
} from '@kurrent/kurrentdb-client';
import { randomUUID } from 'crypto';
import {
  AppendResult,
  BatchHandler,
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
  comparePositions,
  requireDistinctStreams,
} from '../event-store';
import { Upcasters } from '../upcasting';
import {
  KurrentDbUnavailable,
  fromKurrentError,
  fromKurrentEvent,
  fromStoredMetadata,
  toGlobalPosition,
  toKurrentFilter,
  toKurrentPosition,
  toRecordProperties,
  toStreamState,
} from './mapping';

/** A stream no one writes: the start-up probe's multi-stream append expects it to exist, and so writes nothing. */
const PROBE_STREAM = 'oms_capability-probe';

/**
 * KurrentDB (formerly EventStoreDB) behind the same port, through `@kurrent/kurrentdb-client`; the
 * client reconnects by itself for new calls. Needs KurrentDB 25.1 or later, for the multi-stream append
 * an order and its reservation are written with: `connect` checks that before the OMS starts.
 */
export class KurrentDbEventStore implements EventStore {
  private constructor(
    private readonly client: KurrentDBClient,
    private readonly upcasters: Upcasters,
  ) {}

  /**
   * Connects and makes sure the server can do multi-stream appends: a probe that expects a stream
   * nobody writes to exist fails with a conflict on a capable server (nothing written), with
   * UnsupportedError on one older than 25.1, and as unreachable when there is no server.
   */
  static async connect(connectionString: string, upcasters = new Upcasters()): Promise<KurrentDbEventStore> {
    const client = KurrentDBClient.connectionString(connectionString);
    try {
      await client.multiStreamAppend([
        {
          streamName: PROBE_STREAM,
          expectedState: STREAM_EXISTS,
          events: [jsonEvent({ type: 'CapabilityProbe', data: {} })],
        },
      ]);
      throw new KurrentDbUnavailable(`The start-up probe wrote to ${PROBE_STREAM}; it must not exist.`);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return new KurrentDbEventStore(client, upcasters);
      await client.dispose().catch(() => undefined);
      throw fromKurrentError(error, PROBE_STREAM, STREAM_EXISTS);
    }
  }

  /**
   * One multi-stream append (atomic on the server). A member without events only checks its stream's
   * revision, read just before: KurrentDB 25.1 has no check without a write (26.1's `appendRecords`
   * has), so that check is not atomic with the append.
   */
  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    requireDistinctStreams(appends);
    const results: AppendResult[] = new Array(appends.length);
    for (const [i, { stream, events, expectedRevision }] of appends.entries()) {
      if (events.length > 0) continue;
      const current = await this.streamRevision(stream);
      checkExpectedRevision(stream, expectedRevision, current);
      results[i] = { nextExpectedRevision: current ?? -1n, position: START };
    }
    const writing = appends.flatMap((a, i) => (a.events.length > 0 ? [{ ...a, i }] : []));
    if (writing.length === 0) return results;
    try {
      const written = await this.client.multiStreamAppend(
        writing.map(({ stream, events, expectedRevision }) => ({
          streamName: stream,
          expectedState: toStreamState(expectedRevision),
          events: events.map((e) =>
            jsonEvent({
              id: e.eventId ?? randomUUID(),
              type: e.type,
              data: e.data as Record<string, unknown>,
              metadata: toRecordProperties(e.metadata),
            }),
          ),
        })),
      );
      // One commit: every member ends at the append's log position.
      const position = { commit: written.position, prepare: written.position };
      writing.forEach(({ stream, i }) => {
        const response = written.responses.find((r) => r.streamName === stream);
        if (!response) throw new Error(`KurrentDB did not answer for ${stream} in a multi-stream append.`);
        results[i] = { nextExpectedRevision: response.revision, position };
      });
      return results;
    } catch (error) {
      const named = error instanceof WrongExpectedVersionError ? error.streamName : '';
      const member = writing.find((a) => a.stream === named) ?? writing[0];
      throw fromKurrentError(error, member.stream, member.expectedRevision);
    }
  }

  async appendToStream(
    stream: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((e) =>
          jsonEvent({
            id: e.eventId ?? randomUUID(),
            type: e.type,
            data: e.data as Record<string, unknown>,
            metadata: e.metadata as unknown as Record<string, unknown>,
          }),
        ),
        { streamState: toStreamState(expectedRevision) },
      );
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: result.position ? toGlobalPosition(result.position) : START,
      };
    } catch (error) {
      throw fromKurrentError(error, stream, expectedRevision);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from === 'start' ? KURRENT_START : from === 'end' ? END : from,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      })) {
        const e = resolved.event;
        if (!e || !e.isJson) continue;
        events.push(
          this.upcasters.apply({
            eventId: e.id,
            streamName: e.streamId,
            revision: e.revision,
            position: e.position ? toGlobalPosition(e.position) : START,
            type: e.type,
            data: e.data,
            metadata: fromStoredMetadata(e.metadata),
            recordedAt: e.created,
          }),
        );
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async streamRevision(stream: string): Promise<bigint | null> {
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : null;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readPage(options.fromPosition ?? START, options.maxCount ?? 1_000_000, options.filter);
  }

  async headPosition(): Promise<GlobalPosition> {
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END })) {
      const event = fromKurrentEvent(resolved);
      if (event) return event.position;
    }
    return START;
  }

  /**
   * A native catch-up subscription with the server-side filter. Events are pulled one at a time
   * (async iteration), so nothing more is read while the handler works; a dropped connection
   * resubscribes from the last position the handler finished.
   */
  subscribeToAll(options: SubscribeToAllOptions, handler: BatchHandler): Subscription {
    const batchSize = options.batchSize ?? 500;
    let stopped = false;
    let current: { unsubscribe(): Promise<void> } | null = null;
    let markCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    const done = (async () => {
      let position = options.fromPosition ?? START;
      while (!stopped) {
        const subscription = this.client.subscribeToAll({
          fromPosition: toKurrentPosition(position),
          filter: toKurrentFilter(options.filter),
        });
        current = subscription;
        subscription.on('caughtUp', markCaughtUp);
        try {
          let batch: RecordedEvent[] = [];
          for await (const resolved of subscription) {
            const event = fromKurrentEvent(resolved, options.filter);
            if (event && comparePositions(event.position, position) > 0)
              batch.push(this.upcasters.apply(event));
            if (batch.length > 0 && (batch.length >= batchSize || subscription.readableLength === 0)) {
              await handler(batch).catch((error) => {
                throw new HandlerFailed(error);
              });
              position = batch[batch.length - 1].position;
              batch = [];
            }
            if (stopped) break;
          }
        } catch (error) {
          if (error instanceof HandlerFailed) throw error.cause;
          if (stopped) break;
          await new Promise((resolve) => setTimeout(resolve, 1_000)); // server away: retry from `position`
        } finally {
          await subscription.unsubscribe().catch(() => undefined);
        }
      }
    })();
    done.catch(() => undefined);
    return {
      caughtUp,
      done,
      async stop() {
        stopped = true;
        await current?.unsubscribe().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /**
   * One-shot read of $all. This client's readAll takes no server-side filter, so the filter is applied
   * here; subscriptions, which carry the bulk of the traffic, filter on the server.
   * KurrentDB reads from a position inclusively; the port is exclusive, so the first event may be dropped.
   */
  private async readPage(
    from: GlobalPosition,
    max: number,
    filter: ReadAllOptions['filter'],
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const resolved of this.client.readAll({
      fromPosition: toKurrentPosition(from),
      maxCount: filter ? Number.MAX_SAFE_INTEGER : max + 1,
    })) {
      const event = fromKurrentEvent(resolved, filter);
      if (event && comparePositions(event.position, from) > 0) events.push(this.upcasters.apply(event));
      if (events.length >= max) break;
    }
    return events;
  }
}

class HandlerFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('subscription handler failed');
  }
}
