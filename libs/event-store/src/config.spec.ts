import { EventStoreConfigError, createEventStore, eventStoreKind } from './config';
import { MemoryEventStore } from './memory/memory-event-store';

describe('event store selection (EVENT_STORE)', () => {
  it('defaults to postgres and accepts the three kinds', () => {
    expect(eventStoreKind({})).toBe('postgres');
    expect(eventStoreKind({ EVENT_STORE: 'memory' })).toBe('memory');
    expect(
      eventStoreKind({ EVENT_STORE: 'kurrentdb', KURRENTDB_CONNECTION_STRING: 'kurrentdb://x:2113' }),
    ).toBe('kurrentdb');
  });

  it('names the setting and the allowed values on a bad value', () => {
    expect(() => eventStoreKind({ EVENT_STORE: 'mongo' })).toThrow(EventStoreConfigError);
    expect(() => eventStoreKind({ EVENT_STORE: 'mongo' })).toThrow(
      'EVENT_STORE="mongo" is not a known event store; use one of postgres, kurrentdb, memory.',
    );
  });

  it('refuses kurrentdb without a connection string', () => {
    expect(() => eventStoreKind({ EVENT_STORE: 'kurrentdb' })).toThrow('needs KURRENTDB_CONNECTION_STRING');
  });

  it('says what the EventStoreDB settings are called now that it is KurrentDB', () => {
    for (const env of [
      { EVENT_STORE: 'eventstoredb' },
      { EVENT_STORE: 'kurrentdb', EVENTSTORE_CONNECTION_STRING: 'esdb://x:2113' },
    ]) {
      expect(() => eventStoreKind(env)).toThrow(
        'EventStoreDB is now KurrentDB: set EVENT_STORE=kurrentdb and KURRENTDB_CONNECTION_STRING',
      );
    }
  });

  it('builds the in-memory store', async () => {
    const store = await createEventStore({ EVENT_STORE: 'memory' }, 'unused');
    expect(store).toBeInstanceOf(MemoryEventStore);
    await store.close();
  });
});
