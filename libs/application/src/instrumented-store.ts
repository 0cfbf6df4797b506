import { EventStore } from '@oms/event-store';
import { eventStoreAppendSeconds } from '@oms/platform';

/**
 * Times the store's appends (`oms_event_store_append_seconds`). Every component of a process appends
 * through the one store the process builds, so timing it here times them all. The store itself is
 * returned, its `appendToStream` and `appendToStreams` wrapped in place (its other methods and state stay as they are).
 */
export function withAppendMetrics<S extends EventStore>(store: S): S {
  const timed =
    <A extends unknown[], R>(append: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        const result = await append(...args);
        eventStoreAppendSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        eventStoreAppendSeconds.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
        throw error;
      }
    };
  store.appendToStream = timed(store.appendToStream.bind(store));
  store.appendToStreams = timed(store.appendToStreams.bind(store));
  return store;
}
