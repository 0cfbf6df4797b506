import {
  AllStreamResolvedEvent,
  Filter,
  Position,
  ResolvedEvent,
  UnavailableError,
  UnsupportedError,
  WrongExpectedVersionError,
  eventTypeFilter,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import {
  EventFilter,
  EventMetadata,
  ExpectedRevision,
  GlobalPosition,
  NO_STREAM,
  RecordedEvent,
  WrongExpectedVersion,
  matchesFilter,
} from '../event-store';

/** Our expected revisions are the client's own stream states ('any', 'no_stream', 'stream_exists') or a bigint. */
export function toStreamState(expected: ExpectedRevision): ExpectedRevision {
  return expected;
}

/** The server cannot be reached, or cannot do what the OMS needs: said in a sentence, not a gRPC dump. */
export class KurrentDbUnavailable extends Error {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KurrentDbUnavailable';
  }
}

/** A raw gRPC status 14 (UNAVAILABLE): what an unreachable server rejects with, outside the client's error types. */
function isGrpcUnavailable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 14;
}

/**
 * The client's errors as the port's: a conflict (its actual state a bigint or 'no_stream') as
 * WrongExpectedVersion on the stream the server names; an unreachable server (the client's
 * UnavailableError, or a raw gRPC status 14) and a server too old for multi-stream appends
 * (UnsupportedError) as KurrentDbUnavailable with a sentence; anything else unchanged.
 */
export function fromKurrentError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualState;
    return new WrongExpectedVersion(
      error.streamName || stream,
      expected,
      typeof actual === 'bigint' ? actual : NO_STREAM,
    );
  }
  if (error instanceof UnsupportedError) {
    return new KurrentDbUnavailable(
      `The KurrentDB server is too old: ${error.feature} needs KurrentDB ${error.minimumVersion} or later (the OMS writes an order and its reservation in one multi-stream append).`,
      { cause: error },
    );
  }
  if (error instanceof UnavailableError || isGrpcUnavailable(error)) {
    return new KurrentDbUnavailable(
      `KurrentDB cannot be reached (${error instanceof Error ? error.message : 'gRPC status 14'}).`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Metadata as a multi-stream append takes it: string values only (the server stores them as record
 * properties). Absent and null values are left out; numbers are written as their digits.
 */
export function toRecordProperties(metadata: EventMetadata): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || value === undefined) continue;
    properties[key] = String(value);
  }
  return properties;
}

/**
 * Metadata as read back, whichever way it was written: as the JSON the single-stream append stores, or
 * as the string properties of a multi-stream append (a missing causation is null, the schema version
 * a number again; the server's own `$`-properties are not ours).
 */
export function fromStoredMetadata(raw: unknown): EventMetadata {
  const stored = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) if (!key.startsWith('$')) metadata[key] = value;
  metadata.causationId ??= null;
  if (typeof metadata.schemaVersion === 'string') metadata.schemaVersion = Number(metadata.schemaVersion);
  return metadata as unknown as EventMetadata;
}

export function toGlobalPosition(position: Position): GlobalPosition {
  return { commit: position.commit, prepare: position.prepare };
}

export function toKurrentPosition(position: GlobalPosition): Position | 'start' {
  return position.commit < 0n ? 'start' : { commit: position.commit, prepare: position.prepare };
}

/**
 * One server-side filter: by stream category when given (prefix `<category>-`), else by event type.
 * When both are given the event-type part is applied on the client (see `matchesFilter`).
 */
export function toKurrentFilter(filter: EventFilter | undefined): Filter | undefined {
  if (filter?.streamCategories)
    return streamNameFilter({ prefixes: filter.streamCategories.map((c) => `${c}-`) });
  if (filter?.eventTypes) return eventTypeFilter({ prefixes: filter.eventTypes });
  return undefined;
}

export function fromKurrentEvent(
  resolved: AllStreamResolvedEvent | ResolvedEvent,
  filter?: EventFilter,
): RecordedEvent | null {
  const event = resolved.event;
  if (!event || !event.isJson || event.type.startsWith('$')) return null;
  // Event-type prefix filters match "OrderFilled" for "OrderFill"; keep only exact types.
  if (!matchesFilter(filter, event.streamId, event.type)) return null;
  const position = 'position' in event && event.position ? event.position : undefined;
  if (!position) return null;
  return {
    eventId: event.id,
    streamName: event.streamId,
    revision: event.revision,
    position: toGlobalPosition(position),
    type: event.type,
    data: event.data,
    metadata: fromStoredMetadata(event.metadata),
    recordedAt: event.created,
  };
}
