import { NO_STREAM, RecordedEvent } from './event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import { Upcasters } from './upcasting';

describe('upcasting on read', () => {
  const v1ToV2 = {
    type: 'OrderAccepted',
    fromVersion: 1,
    upcast: (e: RecordedEvent): RecordedEvent => ({
      ...e,
      data: { ...(e.data as object), timeInForce: 'DAY' },
      metadata: { ...e.metadata, schemaVersion: 2 },
    }),
  };

  it('lifts stored old versions to the current shape, leaving stored history untouched', async () => {
    const store = new MemoryEventStore(new Upcasters([v1ToV2]));
    await store.appendToStream(
      'order-1',
      [
        {
          type: 'OrderAccepted',
          data: { quantity: '1' },
          metadata: { correlationId: 'c', causationId: null, actor: 'a' },
        },
      ],
      NO_STREAM,
    );
    const [read] = await store.readStream('order-1');
    expect(read.data).toEqual({ quantity: '1', timeInForce: 'DAY' });
    expect(read.metadata.schemaVersion).toBe(2);
    const [fromAll] = await store.readAll();
    expect(fromAll.data).toEqual({ quantity: '1', timeInForce: 'DAY' });
  });

  it('refuses an upcaster that does not raise the version (it would loop)', () => {
    const broken = new Upcasters([{ ...v1ToV2, upcast: (e: RecordedEvent) => e }]);
    const event = {
      type: 'OrderAccepted',
      metadata: { correlationId: 'c', causationId: null, actor: 'a' },
    } as RecordedEvent;
    expect(() => broken.apply(event)).toThrow('did not raise the schema version');
  });
});
