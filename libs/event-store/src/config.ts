import { EventStore } from './event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { Upcasters } from './upcasting';

export const EVENT_STORE_KINDS = ['postgres', 'kurrentdb', 'memory'] as const;
export type EventStoreKind = (typeof EVENT_STORE_KINDS)[number];

export class EventStoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreConfigError';
  }
}

/** Reads EVENT_STORE (default postgres) and says exactly what is wrong with a bad value. */
export function eventStoreKind(env: NodeJS.ProcessEnv): EventStoreKind {
  const value = (env.EVENT_STORE ?? 'postgres').trim();
  if (value === 'eventstoredb' || env.EVENTSTORE_CONNECTION_STRING) {
    throw new EventStoreConfigError(
      'EventStoreDB is now KurrentDB: set EVENT_STORE=kurrentdb and KURRENTDB_CONNECTION_STRING (e.g. kurrentdb://localhost:2113?tls=false) instead of EVENT_STORE=eventstoredb and EVENTSTORE_CONNECTION_STRING.',
    );
  }
  if (!(EVENT_STORE_KINDS as readonly string[]).includes(value)) {
    throw new EventStoreConfigError(
      `EVENT_STORE=${JSON.stringify(value)} is not a known event store; use one of ${EVENT_STORE_KINDS.join(', ')}.`,
    );
  }
  if (value === 'kurrentdb' && !env.KURRENTDB_CONNECTION_STRING) {
    throw new EventStoreConfigError(
      'EVENT_STORE=kurrentdb needs KURRENTDB_CONNECTION_STRING, e.g. kurrentdb://localhost:2113?tls=false.',
    );
  }
  return value as EventStoreKind;
}

/** Builds the configured store. `databaseUrl` is the PostgreSQL database (embedded or DATABASE_URL). */
export async function createEventStore(
  env: NodeJS.ProcessEnv,
  databaseUrl: string,
  upcasters = new Upcasters(),
): Promise<EventStore> {
  switch (eventStoreKind(env)) {
    case 'memory':
      return new MemoryEventStore(upcasters);
    case 'postgres':
      return new PostgresEventStore({ connectionString: databaseUrl, upcasters });
    case 'kurrentdb': {
      const { KurrentDbEventStore } = await import('./kurrentdb/kurrentdb-event-store');
      return KurrentDbEventStore.connect(env.KURRENTDB_CONNECTION_STRING as string, upcasters);
    }
  }
}
