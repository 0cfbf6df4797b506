import { EventStoreConfigError, createEventStore, eventStoreKind } from './config';
import { MemoryEventStore } from './memory/memory-event-store';

describe('event store selection (EVENT_STORE)', () => {
  it('defaults to postgres and accepts the three kinds', () => {
    expect(eventStoreKind({})).toBe('postgres');
    expect(eventStoreKind({ EVENT_STORE: 'memory' })).toBe('memory');
    expect(
      eventStoreKind({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://x:2113' }),
    ).toBe('eventstoredb');
  });

  it('names the setting and the allowed values on a bad value', () => {
    expect(() => eventStoreKind({ EVENT_STORE: 'mongo' })).toThrow(EventStoreConfigError);
    expect(() => eventStoreKind({ EVENT_STORE: 'mongo' })).toThrow(
      'EVENT_STORE="mongo" is not a known event store; use one of postgres, eventstoredb, memory.',
    );
  });

  it('refuses eventstoredb without a connection string', () => {
    expect(() => eventStoreKind({ EVENT_STORE: 'eventstoredb' })).toThrow(
      'needs EVENTSTORE_CONNECTION_STRING',
    );
  });

  it('builds the in-memory store', async () => {
    const store = await createEventStore({ EVENT_STORE: 'memory' }, 'unused');
    expect(store).toBeInstanceOf(MemoryEventStore);
    await store.close();
  });
});
