import {
  AllStreamResolvedEvent,
  Filter,
  Position,
  ResolvedEvent,
  WrongExpectedVersionError,
  eventTypeFilter,
  streamNameFilter,
} from '@eventstore/db-client';
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

/** Our expected-revision values are the client's own constants ('any', 'no_stream', 'stream_exists') or a bigint. */
export function toEsdbExpectedRevision(expected: ExpectedRevision): ExpectedRevision {
  return expected;
}

/** EventStoreDB reports the actual version as a bigint or the string 'no_stream'. */
export function fromEsdbError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion;
    return new WrongExpectedVersion(stream, expected, typeof actual === 'bigint' ? actual : NO_STREAM);
  }
  return error;
}

export function toGlobalPosition(position: Position): GlobalPosition {
  return { commit: position.commit, prepare: position.prepare };
}

export function toEsdbPosition(position: GlobalPosition): Position | 'start' {
  return position.commit < 0n ? 'start' : { commit: position.commit, prepare: position.prepare };
}

/**
 * One server-side filter: by stream category when given (prefix `<category>-`), else by event type.
 * When both are given the event-type part is applied on the client (see `matchesFilter`).
 */
export function toEsdbFilter(filter: EventFilter | undefined): Filter | undefined {
  if (filter?.streamCategories)
    return streamNameFilter({ prefixes: filter.streamCategories.map((c) => `${c}-`) });
  if (filter?.eventTypes) return eventTypeFilter({ prefixes: filter.eventTypes });
  return undefined;
}

export function fromEsdbEvent(
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
    metadata: event.metadata as unknown as EventMetadata,
    recordedAt: event.created,
  };
}
