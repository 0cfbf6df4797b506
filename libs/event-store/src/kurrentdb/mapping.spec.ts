import { UnavailableError, UnsupportedError, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';
import { ANY, NO_STREAM, STREAM_EXISTS, WrongExpectedVersion } from '../event-store';
import {
  KurrentDbUnavailable,
  fromKurrentError,
  fromKurrentEvent,
  fromStoredMetadata,
  toGlobalPosition,
  toKurrentFilter,
  toKurrentPosition,
  toRecordProperties,
  toStreamState,
} from './mapping';

/** The client's conflict as it builds one from the server's answer (stream, expected and actual state). */
function wrongVersion(expected: unknown, actual: unknown, streamName = 'order-1'): WrongExpectedVersionError {
  return new WrongExpectedVersionError(undefined, {
    streamName,
    expected,
    current: actual,
  } as unknown as ConstructorParameters<typeof WrongExpectedVersionError>[1]);
}

describe('KurrentDB mapping', () => {
  it('passes expected revisions through as stream states (the client uses the same constants)', () => {
    expect([NO_STREAM, ANY, STREAM_EXISTS, 5n].map(toStreamState)).toEqual([
      'no_stream',
      'any',
      'stream_exists',
      5n,
    ]);
  });

  it("maps WrongExpectedVersionError's expectedState/actualState, the actual state possibly 'no_stream'", () => {
    const conflict = wrongVersion(0n, 'no_stream');
    expect(conflict).toMatchObject({ expectedState: 0n, actualState: 'no_stream' });
    const onMissing = fromKurrentError(conflict, 'order-1', 0n);
    expect(onMissing).toBeInstanceOf(WrongExpectedVersion);
    expect(onMissing).toMatchObject({ stream: 'order-1', expected: 0n, actual: NO_STREAM });
    const onExisting = fromKurrentError(wrongVersion('no_stream', 3n), 'order-1', NO_STREAM);
    expect(onExisting).toMatchObject({ expected: NO_STREAM, actual: 3n });
  });

  it('names the stream the server reports in a multi-stream conflict', () => {
    const conflict = fromKurrentError(wrongVersion(2n, 5n, 'account-a'), 'order-1', 2n);
    expect(conflict).toMatchObject({ stream: 'account-a', actual: 5n });
  });

  it("says in a sentence when the server is unreachable, the client's error or a raw gRPC status 14", () => {
    const raw = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
    for (const error of [raw, new UnavailableError(raw as never)]) {
      const mapped = fromKurrentError(error, 'order-1', ANY);
      expect(mapped).toBeInstanceOf(KurrentDbUnavailable);
      expect((mapped as Error).message).toMatch(/^KurrentDB cannot be reached \(/);
    }
    const other = new Error('something else');
    expect(fromKurrentError(other, 'order-1', ANY)).toBe(other);
  });

  it('says which version is needed when the server is older than 25.1', () => {
    const mapped = fromKurrentError(new UnsupportedError('multiStreamAppend', '25.1'), 'order-1', ANY);
    expect(mapped).toBeInstanceOf(KurrentDbUnavailable);
    expect((mapped as Error).message).toMatch(/multiStreamAppend needs KurrentDB 25\.1 or later/);
  });

  it('writes metadata as string properties for a multi-stream append and reads it back as it was', () => {
    const metadata = { correlationId: 'c', causationId: null, actor: 'user:a', schemaVersion: 2 };
    const properties = toRecordProperties(metadata);
    expect(properties).toEqual({ correlationId: 'c', actor: 'user:a', schemaVersion: '2' });
    expect(fromStoredMetadata({ ...properties, '$schema.name': 'OrderAccepted' })).toEqual(metadata);
    // Written by a single-stream append, as JSON: unchanged.
    expect(fromStoredMetadata({ correlationId: 'c', causationId: 'e0', actor: 'user:a' })).toEqual({
      correlationId: 'c',
      causationId: 'e0',
      actor: 'user:a',
    });
  });

  it('keeps $all positions exact, beyond 2^53', () => {
    const big = { commit: 2n ** 60n + 7n, prepare: 2n ** 60n + 3n };
    expect(toGlobalPosition(big)).toEqual(big);
    expect(toKurrentPosition(big)).toEqual(big);
    expect(toKurrentPosition({ commit: -1n, prepare: -1n })).toBe('start');
  });

  it('maps filters to one server-side filter: stream categories as prefixes, else event types', () => {
    expect(toKurrentFilter({ streamCategories: ['order', 'account'] })).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['order-', 'account-'],
    });
    expect(toKurrentFilter({ eventTypes: ['OrderFilled'] })).toMatchObject({
      filterOn: 'eventType',
      prefixes: ['OrderFilled'],
    });
    expect(toKurrentFilter(undefined)).toBeUndefined();
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
    expect(fromKurrentEvent(resolved('OrderFilled') as never)).toEqual({
      eventId: 'e1',
      streamName: 'order-1',
      revision: 4n,
      position: { commit: 10n, prepare: 9n },
      type: 'OrderFilled',
      data: { q: '1' },
      metadata: { correlationId: 'c', causationId: null, actor: 'user:a' },
      recordedAt: new Date('2026-11-21T10:00:00Z'),
    });
    expect(fromKurrentEvent(resolved('$metadata') as never)).toBeNull();
    expect(
      fromKurrentEvent(resolved('OrderFilledLate') as never, { eventTypes: ['OrderFilled'] }),
    ).toBeNull();
  });
});
