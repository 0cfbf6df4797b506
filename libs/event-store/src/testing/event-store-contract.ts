import { randomBytes, randomUUID } from 'crypto';
import {
  ANY,
  DuplicateEventId,
  EventStore,
  GlobalPosition,
  NO_STREAM,
  NewEvent,
  RecordedEvent,
  START,
  STREAM_EXISTS,
  WrongExpectedVersion,
  comparePositions,
} from '../event-store';

export interface ContractTarget {
  store: EventStore;
  close(): Promise<void>;
}

/** A stream category no other test uses, so $all reads can be scoped by filter. */
const category = () => `t${randomBytes(5).toString('hex')}`;

const event = (type: string, n: number, eventId?: string): NewEvent => ({
  eventId,
  type,
  data: { n, price: '9680.25' },
  metadata: { correlationId: 'corr-1', causationId: null, actor: 'user:test' },
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The behaviour every event store adapter must have (KurrentDB semantics). Run against each
 * adapter with `describeEventStoreContract(name, factory)`.
 */
export function describeEventStoreContract(name: string, open: () => Promise<ContractTarget>): void {
  describe(`event store contract: ${name}`, () => {
    let target: ContractTarget;
    let store: EventStore;

    beforeAll(async () => {
      target = await open();
      store = target.store;
    });

    afterAll(() => target?.close());

    describe('appendToStream', () => {
      it('NO_STREAM creates a stream at revision 0 and refuses an existing one', async () => {
        const stream = `${category()}-1`;
        const first = await store.appendToStream(stream, [event('A', 1)], NO_STREAM);
        expect(first.nextExpectedRevision).toBe(0n);
        const error = await store.appendToStream(stream, [event('A', 2)], NO_STREAM).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ stream, expected: NO_STREAM, actual: 0n });
      });

      it('an exact revision appends when it matches and reports expected and actual when not', async () => {
        const stream = `${category()}-1`;
        await store.appendToStream(stream, [event('A', 1), event('A', 2)], NO_STREAM);
        const next = await store.appendToStream(stream, [event('A', 3)], 1n);
        expect(next.nextExpectedRevision).toBe(2n);
        const error = await store.appendToStream(stream, [event('A', 4)], 1n).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ expected: 1n, actual: 2n });
        const missing = await store.appendToStream(`${category()}-1`, [event('A', 1)], 0n).catch((e) => e);
        expect(missing).toMatchObject({ expected: 0n, actual: NO_STREAM });
      });

      it('STREAM_EXISTS needs the stream; ANY takes whatever is there', async () => {
        const stream = `${category()}-1`;
        const error = await store.appendToStream(stream, [event('A', 1)], STREAM_EXISTS).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ actual: NO_STREAM });
        expect((await store.appendToStream(stream, [event('A', 1)], ANY)).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(stream, [event('A', 2)], ANY)).nextExpectedRevision).toBe(1n);
        expect(
          (await store.appendToStream(stream, [event('A', 3)], STREAM_EXISTS)).nextExpectedRevision,
        ).toBe(2n);
      });

      it('a repeated append with the same event ids is stored once and answers as before', async () => {
        const stream = `${category()}-1`;
        const batch = [event('A', 1, randomUUID()), event('A', 2, randomUUID())];
        const first = await store.appendToStream(stream, batch, NO_STREAM);
        const again = await store.appendToStream(stream, batch, NO_STREAM);
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('refuses a batch that reuses only some stored event ids', async () => {
        const stream = `${category()}-1`;
        const id = randomUUID();
        await store.appendToStream(stream, [event('A', 1, id)], NO_STREAM);
        const error = await store
          .appendToStream(stream, [event('A', 1, id), event('A', 2)], ANY)
          .catch((e) => e);
        expect(error).toBeInstanceOf(DuplicateEventId);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('concurrent appends with one expected revision: exactly one wins', async () => {
        const stream = `${category()}-1`;
        await store.appendToStream(stream, [event('A', 0)], NO_STREAM);
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.appendToStream(stream, [event('A', i + 1)], 0n)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
          expect(r.reason).toBeInstanceOf(WrongExpectedVersion);
        }
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('appendToStreams (one atomic append to several streams)', () => {
      it('appends to every stream or to none: a conflict on any member writes nothing', async () => {
        const c = category();
        const [a, b] = [`${c}-a`, `${c}-b`];
        await store.appendToStream(b, [event('B', 0)], NO_STREAM);
        const results = await store.appendToStreams([
          { stream: a, events: [event('A', 0), event('A', 1)], expectedRevision: NO_STREAM },
          { stream: b, events: [event('B', 1)], expectedRevision: 0n },
        ]);
        expect(results.map((r) => r.nextExpectedRevision)).toEqual([1n, 1n]);
        // A stale expectation on b: neither a's nor b's events are written.
        const refused = store.appendToStreams([
          { stream: a, events: [event('A', 2)], expectedRevision: 1n },
          { stream: b, events: [event('B', 2)], expectedRevision: 0n },
        ]);
        await expect(refused).rejects.toBeInstanceOf(WrongExpectedVersion);
        await expect(refused).rejects.toMatchObject({ stream: b, actual: 1n });
        expect((await store.readStream(a)).map((e) => e.data)).toEqual([
          { n: 0, price: '9680.25' },
          { n: 1, price: '9680.25' },
        ]);
        expect(await store.streamRevision(b)).toBe(1n);
      });

      it('is idempotent by event ids, and refuses ids stored elsewhere', async () => {
        const c = category();
        const ids = [randomUUID(), randomUUID()];
        const append = () =>
          store.appendToStreams([
            { stream: `${c}-a`, events: [event('A', 0, ids[0])], expectedRevision: NO_STREAM },
            { stream: `${c}-b`, events: [event('B', 0, ids[1])], expectedRevision: NO_STREAM },
          ]);
        const first = await append();
        expect(await append()).toEqual(first);
        expect(await store.readStream(`${c}-a`)).toHaveLength(1);
        await expect(
          store.appendToStreams([
            { stream: `${c}-c`, events: [event('C', 0)], expectedRevision: NO_STREAM },
            { stream: `${c}-d`, events: [event('D', 0, ids[0])], expectedRevision: ANY },
          ]),
        ).rejects.toBeInstanceOf(DuplicateEventId);
        expect(await store.streamRevision(`${c}-c`)).toBeNull();
      });

      it('one member per stream', async () => {
        const stream = `${category()}-a`;
        await expect(
          store.appendToStreams([
            { stream, events: [event('A', 0)], expectedRevision: NO_STREAM },
            { stream, events: [event('A', 1)], expectedRevision: ANY },
          ]),
        ).rejects.toThrow(/once/);
      });

      it('concurrent writers on a shared stream: exactly one wins, the others write nowhere', async () => {
        const c = category();
        const shared = `${c}-shared`;
        await store.appendToStream(shared, [event('S', 0)], NO_STREAM);
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.appendToStreams([
              { stream: `${c}-own${i}`, events: [event('O', i)], expectedRevision: NO_STREAM },
              { stream: shared, events: [event('S', i + 1)], expectedRevision: 0n },
            ]),
          ),
        );
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        for (let i = 0; i < 8; i++) {
          expect(await store.streamRevision(`${c}-own${i}`)).toBe(i === won[0] ? 0n : null);
        }
      });

      it('a subscriber is handed all of one atomic append or none of it, once', async () => {
        const c = category();
        const seen: string[] = [];
        const subscription = store.subscribeToAll({ filter: { streamCategories: [c] } }, async (events) => {
          seen.push(...events.map((e) => e.streamName));
        });
        await subscription.caughtUp;
        await store.appendToStreams([
          { stream: `${c}-a`, events: [event('A', 0), event('A', 1)], expectedRevision: NO_STREAM },
          { stream: `${c}-b`, events: [event('B', 0)], expectedRevision: NO_STREAM },
        ]);
        await until(() => seen.length >= 3, 'the atomic append delivered');
        await subscription.stop();
        expect([...seen].sort()).toEqual([`${c}-a`, `${c}-a`, `${c}-b`]);
      });
    });

    describe('readStream', () => {
      it('reads forwards and backwards, from a revision, at most maxCount', async () => {
        const stream = `${category()}-1`;
        await store.appendToStream(
          stream,
          [1, 2, 3, 4, 5].map((n) => event('A', n)),
          NO_STREAM,
        );
        const data = (events: RecordedEvent[]) => events.map((e) => (e.data as { n: number }).n);
        expect(data(await store.readStream(stream))).toEqual([1, 2, 3, 4, 5]);
        expect(data(await store.readStream(stream, { fromRevision: 2n }))).toEqual([3, 4, 5]);
        expect(data(await store.readStream(stream, { fromRevision: 1n, maxCount: 2 }))).toEqual([2, 3]);
        expect(data(await store.readStream(stream, { direction: 'backwards' }))).toEqual([5, 4, 3, 2, 1]);
        expect(
          data(await store.readStream(stream, { direction: 'backwards', fromRevision: 2n, maxCount: 2 })),
        ).toEqual([3, 2]);
        const revisions = (await store.readStream(stream)).map((e) => e.revision);
        expect(revisions).toEqual([0n, 1n, 2n, 3n, 4n]);
      });

      it('a missing stream reads as empty and has no revision', async () => {
        expect(await store.readStream(`${category()}-missing`)).toEqual([]);
        expect(await store.streamRevision(`${category()}-missing`)).toBeNull();
      });

      it('keeps the envelope: id, type, data, metadata, recorded time', async () => {
        const stream = `${category()}-1`;
        const eventId = randomUUID();
        const before = Date.now();
        await store.appendToStream(stream, [event('Placed', 7, eventId)], NO_STREAM);
        const [recorded] = await store.readStream(stream);
        expect(recorded).toMatchObject({
          eventId,
          streamName: stream,
          revision: 0n,
          type: 'Placed',
          data: { n: 7, price: '9680.25' },
          metadata: { correlationId: 'corr-1', causationId: null, actor: 'user:test' },
        });
        expect(recorded.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
        expect(typeof recorded.position.commit).toBe('bigint');
        expect(await store.streamRevision(stream)).toBe(0n);
      });
    });

    describe('readAll', () => {
      it('returns every stream in one global order, after a position, filtered', async () => {
        const c = category();
        await store.appendToStream(`${c}-a`, [event('A', 1)], NO_STREAM);
        await store.appendToStream(`${c}-b`, [event('B', 2)], NO_STREAM);
        await store.appendToStream(`${c}-a`, [event('A', 3), event('C', 4)], 0n);
        const all = await store.readAll({ filter: { streamCategories: [c] } });
        expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
        for (let i = 1; i < all.length; i++)
          expect(comparePositions(all[i - 1].position, all[i].position)).toBe(-1);
        const after = await store.readAll({
          fromPosition: all[1].position,
          filter: { streamCategories: [c] },
        });
        expect(after.map((e) => (e.data as { n: number }).n)).toEqual([3, 4]);
        const onlyA = await store.readAll({ filter: { streamCategories: [c], eventTypes: ['A'] } });
        expect(onlyA.map((e) => (e.data as { n: number }).n)).toEqual([1, 3]);
        const two = await store.readAll({ filter: { streamCategories: [c] }, maxCount: 2 });
        expect(two).toHaveLength(2);
      });

      it('knows the position of the last event (the head)', async () => {
        const c = category();
        await store.appendToStream(`${c}-a`, [event('A', 1), event('A', 2)], NO_STREAM);
        const head = await store.headPosition();
        const mine = await store.readAll({ filter: { streamCategories: [c] } });
        expect(head).toEqual(mine[mine.length - 1].position);
        expect(await store.readAll({ fromPosition: head })).toEqual([]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, then delivers live appends, in order, once each', async () => {
        const c = category();
        await store.appendToStream(`${c}-1`, [event('A', 1), event('A', 2)], NO_STREAM);
        const seen: number[] = [];
        const subscription = store.subscribeToAll(
          { filter: { streamCategories: [c] }, batchSize: 1 },
          async (events) => {
            seen.push(...events.map((e) => (e.data as { n: number }).n));
          },
        );
        await subscription.caughtUp;
        expect(seen).toEqual([1, 2]);
        await store.appendToStream(`${c}-2`, [event('A', 3)], NO_STREAM);
        await store.appendToStream(`${c}-1`, [event('A', 4)], 1n);
        await until(() => seen.length >= 4, 'live events');
        await subscription.stop();
        expect(seen).toEqual([1, 2, 3, 4]);
      });

      it('resumes from a checkpoint without gaps or repeats', async () => {
        const c = category();
        const stream = `${c}-1`;
        await store.appendToStream(
          stream,
          [1, 2, 3].map((n) => event('A', n)),
          NO_STREAM,
        );
        let checkpoint: GlobalPosition = START;
        const first: number[] = [];
        const s1 = store.subscribeToAll({ filter: { streamCategories: [c] } }, async (events) => {
          first.push(...events.map((e) => (e.data as { n: number }).n));
          checkpoint = events[events.length - 1].position;
        });
        await s1.caughtUp;
        await s1.stop();
        await store.appendToStream(
          stream,
          [4, 5].map((n) => event('A', n)),
          2n,
        );
        const second: number[] = [];
        const s2 = store.subscribeToAll(
          { fromPosition: checkpoint, filter: { streamCategories: [c] } },
          async (events) => {
            second.push(...events.map((e) => (e.data as { n: number }).n));
          },
        );
        await until(() => second.length >= 2, 'events after the checkpoint');
        await s2.stop();
        expect(first).toEqual([1, 2, 3]);
        expect(second).toEqual([4, 5]);
      });

      it('never hands a slow handler overlapping batches', async () => {
        const c = category();
        await store.appendToStream(
          `${c}-1`,
          Array.from({ length: 30 }, (_, n) => event('A', n)),
          NO_STREAM,
        );
        let inHandler = 0;
        let maxConcurrent = 0;
        const seen: number[] = [];
        const subscription = store.subscribeToAll(
          { filter: { streamCategories: [c] }, batchSize: 7 },
          async (events) => {
            inHandler++;
            maxConcurrent = Math.max(maxConcurrent, inHandler);
            await new Promise((resolve) => setTimeout(resolve, 15));
            seen.push(...events.map((e) => (e.data as { n: number }).n));
            inHandler--;
          },
        );
        await store.appendToStream(`${c}-1`, [event('A', 30)], 29n);
        await until(() => seen.length >= 31, 'all events');
        await subscription.stop();
        expect(maxConcurrent).toBe(1);
        expect(seen).toEqual(Array.from({ length: 31 }, (_, n) => n));
      });

      it('a failing handler stops the subscription and surfaces the error', async () => {
        const c = category();
        await store.appendToStream(`${c}-1`, [event('A', 1)], NO_STREAM);
        const subscription = store.subscribeToAll({ filter: { streamCategories: [c] } }, async () => {
          throw new Error('projection bug');
        });
        await expect(subscription.done).rejects.toThrow('projection bug');
      });
    });
  });
}
