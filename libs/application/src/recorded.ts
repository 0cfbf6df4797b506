import { EventOfType, OmsEventType } from '@oms/domain';
import { RecordedEvent } from '@oms/event-store';

/** A recorded event of one of the given types, with its data typed as the domain declares it. */
export type Recorded<T extends OmsEventType = OmsEventType> = T extends OmsEventType
  ? RecordedEvent<T, EventOfType<T>['data']>
  : never;

/**
 * The store hands back untyped events; the OMS wrote them from its own types, and subscriptions and
 * stream reads only return what their filters and streams admit. This is the one place that trusts it.
 */
export function asRecorded<T extends OmsEventType>(events: RecordedEvent[]): Recorded<T>[] {
  return events as Recorded<T>[];
}

/** The domain event (type and data) a recorded event carries. */
export function domainEventOf<T extends OmsEventType>(recorded: Recorded<T>): EventOfType<T> {
  return { type: recorded.type, data: recorded.data } as EventOfType<T>;
}
