import {
  BatchHandler,
  GlobalPosition,
  RecordedEvent,
  START,
  SubscribeToAllOptions,
  Subscription,
} from './event-store';

export interface LogPage {
  /** Events strictly after `from` that match the filter, at most `max`, in log order. */
  events: RecordedEvent[];
  /**
   * How far the read looked: at or after the last event returned. A filtered read that skipped
   * events nobody asked for moves past them, so the next read does not look at them again.
   */
  scannedTo?: GlobalPosition;
}

export interface LogReader {
  readPage(from: GlobalPosition, max: number, options: SubscribeToAllOptions): Promise<LogPage>;
  /** Resolves when new events may be readable, or after `timeoutMs` at the latest. */
  waitForAppends(timeoutMs: number): Promise<void>;
  /** True while committed events exist that the last read could not hand out yet. */
  isBehind?(): boolean;
}

/**
 * The one subscription loop: read a page after the last delivered position, hand it over, wait for
 * the handler, repeat; when a page comes back short the subscriber is caught up and the loop sleeps
 * until an append is signalled. Batches never overlap and nothing is skipped or repeated, because
 * the position only moves past what the handler has finished.
 */
export function runSubscription(
  reader: LogReader,
  options: SubscribeToAllOptions,
  handler: BatchHandler,
  idleWakeMs = 1_000,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  let stopped = false;
  let wake: (() => void) | null = null;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));

  const done = (async () => {
    let position = options.fromPosition ?? START;
    while (!stopped) {
      const { events, scannedTo } = await reader.readPage(position, batchSize, options);
      if (stopped) break;
      if (events.length > 0) {
        await handler(events);
        position = events[events.length - 1].position;
      }
      if (scannedTo) position = scannedTo;
      if (events.length < batchSize) {
        if (!reader.isBehind?.()) markCaughtUp();
        if (stopped) break; // stopped while it read or handled: no wake would come
        await Promise.race([
          reader.waitForAppends(idleWakeMs),
          new Promise<void>((resolve) => (wake = resolve)),
        ]);
        wake = null;
      }
    }
  })();
  // The caller awaits `done`; keep an unobserved failure from crashing the process before it does.
  done.catch(() => undefined);

  return {
    caughtUp,
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done.catch(() => undefined);
    },
  };
}
