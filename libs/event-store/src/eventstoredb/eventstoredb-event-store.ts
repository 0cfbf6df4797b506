import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START as ESDB_START,
  StreamNotFoundError,
  jsonEvent,
} from '@eventstore/db-client';
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
  comparePositions,
} from '../event-store';
import { Upcasters } from '../upcasting';
import {
  fromEsdbError,
  fromEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbFilter,
  toEsdbPosition,
  toGlobalPosition,
} from './mapping';

/** EventStoreDB behind the same port; the client reconnects by itself for new calls. */
export class EventStoreDbEventStore implements EventStore {
  private constructor(
    private readonly client: EventStoreDBClient,
    private readonly upcasters: Upcasters,
  ) {}

  static connect(connectionString: string, upcasters = new Upcasters()): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), upcasters);
  }

  /**
   * This client (`@eventstore/db-client` 6) has no multi-stream append; KurrentDB's client
   * (`@kurrent/kurrentdb-client`, servers ≥ 25.1) has. Until the adapter moves to it (issue 14), said so.
   */
  async appendToStreams(_appends: StreamAppend[]): Promise<AppendResult[]> {
    throw new Error(
      'An atomic append to several streams needs KurrentDB ≥ 25.1 through @kurrent/kurrentdb-client; this adapter does not have it yet.',
    );
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
        { expectedRevision: toEsdbExpectedRevision(expectedRevision) },
      );
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: result.position ? toGlobalPosition(result.position) : START,
      };
    } catch (error) {
      throw fromEsdbError(error, stream, expectedRevision);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from === 'start' ? ESDB_START : from === 'end' ? END : from,
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
            metadata: e.metadata as unknown as RecordedEvent['metadata'],
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
      const event = fromEsdbEvent(resolved);
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
          fromPosition: toEsdbPosition(position),
          filter: toEsdbFilter(options.filter),
        });
        current = subscription;
        subscription.on('caughtUp', markCaughtUp);
        try {
          let batch: RecordedEvent[] = [];
          for await (const resolved of subscription) {
            const event = fromEsdbEvent(resolved, options.filter);
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
   * ESDB reads from a position inclusively; the port is exclusive, so the first event may be dropped.
   */
  private async readPage(
    from: GlobalPosition,
    max: number,
    filter: ReadAllOptions['filter'],
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const resolved of this.client.readAll({
      fromPosition: toEsdbPosition(from),
      maxCount: filter ? Number.MAX_SAFE_INTEGER : max + 1,
    })) {
      const event = fromEsdbEvent(resolved, filter);
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
