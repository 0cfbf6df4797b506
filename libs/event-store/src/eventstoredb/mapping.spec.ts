import { WrongExpectedVersionError } from '@eventstore/db-client';
import { ANY, NO_STREAM, STREAM_EXISTS, WrongExpectedVersion } from '../event-store';
import {
  fromEsdbError,
  fromEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbFilter,
  toEsdbPosition,
  toGlobalPosition,
} from './mapping';

function wrongVersion(expected: unknown, actual: unknown): WrongExpectedVersionError {
  return new WrongExpectedVersionError(undefined, {
    streamName: 'order-1',
    expected,
    current: actual,
  } as unknown as ConstructorParameters<typeof WrongExpectedVersionError>[1]);
}

describe('EventStoreDB mapping', () => {
  it('passes expected revisions through unchanged (the client uses the same constants)', () => {
    expect([NO_STREAM, ANY, STREAM_EXISTS, 5n].map(toEsdbExpectedRevision)).toEqual([
      'no_stream',
      'any',
      'stream_exists',
      5n,
    ]);
  });

  it("maps WrongExpectedVersionError, whose actual version may be the string 'no_stream'", () => {
    const onMissing = fromEsdbError(wrongVersion(0n, 'no_stream'), 'order-1', 0n);
    expect(onMissing).toBeInstanceOf(WrongExpectedVersion);
    expect(onMissing).toMatchObject({ stream: 'order-1', expected: 0n, actual: NO_STREAM });
    const onExisting = fromEsdbError(wrongVersion('no_stream', 3n), 'order-1', NO_STREAM);
    expect(onExisting).toMatchObject({ expected: NO_STREAM, actual: 3n });
    const other = new Error('unavailable');
    expect(fromEsdbError(other, 'order-1', ANY)).toBe(other);
  });

  it('keeps $all positions exact, beyond 2^53', () => {
    const big = { commit: 2n ** 60n + 7n, prepare: 2n ** 60n + 3n };
    expect(toGlobalPosition(big)).toEqual(big);
    expect(toEsdbPosition(big)).toEqual(big);
    expect(toEsdbPosition({ commit: -1n, prepare: -1n })).toBe('start');
  });

  it('maps filters to one server-side filter: stream categories as prefixes, else event types', () => {
    expect(toEsdbFilter({ streamCategories: ['order', 'account'] })).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['order-', 'account-'],
    });
    expect(toEsdbFilter({ eventTypes: ['OrderFilled'] })).toMatchObject({
      filterOn: 'eventType',
      prefixes: ['OrderFilled'],
    });
    expect(toEsdbFilter(undefined)).toBeUndefined();
  });

  it('maps a recorded event, dropping system events and exact-type mismatches of prefix filters', () => {
    const resolved = (type: string) => ({
      event: {
        streamId: 'order-1',
        id: 'e1',
        isJson: true,
        revision: 4n,
        type,
        created: new Date('2026-11-21T10:00:00Z'),
        data: { q: '1' },
        metadata: { correlationId: 'c', causationId: null, actor: 'user:a' },
        position: { commit: 10n, prepare: 9n },
      },
    });
    expect(fromEsdbEvent(resolved('OrderFilled') as never)).toEqual({
      eventId: 'e1',
      streamName: 'order-1',
      revision: 4n,
      position: { commit: 10n, prepare: 9n },
      type: 'OrderFilled',
      data: { q: '1' },
      metadata: { correlationId: 'c', causationId: null, actor: 'user:a' },
      recordedAt: new Date('2026-11-21T10:00:00Z'),
    });
    expect(fromEsdbEvent(resolved('$metadata') as never)).toBeNull();
    expect(fromEsdbEvent(resolved('OrderFilledLate') as never, { eventTypes: ['OrderFilled'] })).toBeNull();
  });
});
