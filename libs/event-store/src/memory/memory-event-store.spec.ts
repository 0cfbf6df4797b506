import { describeEventStoreContract } from '../testing/event-store-contract';
import { MemoryEventStore } from './memory-event-store';

describeEventStoreContract('in-memory', async () => {
  const store = new MemoryEventStore();
  return { store, close: () => store.close() };
});

describe('in-memory store subscriptions', () => {
  afterEach(() => jest.useRealTimers());

  it('an event appended while the subscriber handles a batch is delivered next, without waiting for another append or a timer', async () => {
    // No timer ever fires here: delivery must not depend on the subscription's idle wake.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const store = new MemoryEventStore();
    const seen: string[] = [];
    await store.appendToStream('s-1', [{ type: 'First', data: {}, metadata: META }], 'no_stream');
    const subscription = store.subscribeToAll({}, async (events) => {
      for (const e of events) {
        seen.push(e.type);
        // The subscriber appends as it handles (the execution gateway records what it sends).
        if (e.type === 'First')
          await store.appendToStream('s-2', [{ type: 'Second', data: {}, metadata: META }], 'no_stream');
      }
    });
    for (let i = 0; i < 100 && seen.length < 2; i++) await Promise.resolve();
    await subscription.stop();
    expect(seen).toEqual(['First', 'Second']);
  });
});

const META = { correlationId: 'c', causationId: null, actor: 'test' };
