import { AccountCommand, accountSnapshot } from '@oms/domain';
import { ANY, MemoryEventStore, NO_STREAM } from '@oms/event-store';
import { AggregateStore } from '../aggregates/aggregate-store';
import { DEMO_LIMITS } from '../demo';
import { accountSnapshotStream, accountStream } from '../streams';
import { AccountSnapshots } from './account-snapshots';
import { waitFor } from '../../../../test/wait-for';
import { HotAccounts, JoinedAppend } from './hot-accounts';

const metadata = { actor: 'test', correlationId: 'hot-accounts', causationId: null };
const limits = (maxOrdersPerWindow: number) => (): AccountCommand => ({
  type: 'SetRiskLimits',
  data: { accountId: 'a', limits: { ...DEMO_LIMITS, maxOrdersPerWindow } },
  metadata: { now: new Date(0) },
});
const joining = (stream: string): JoinedAppend<string> => ({
  stream,
  expectedRevision: NO_STREAM,
  decide: () => ({ events: [{ type: 'Joined', data: { stream }, metadata }], value: stream }),
});

describe('HotAccounts with joined appends', () => {
  it('answers the command whose joined stream exists with the conflict and writes the rest of its batch', async () => {
    const store = new MemoryEventStore();
    const accounts = new HotAccounts(store, new AggregateStore(store));
    await store.appendToStream('x-taken', [{ type: 'Joined', data: {}, metadata }], NO_STREAM);
    const atomic = jest.spyOn(store, 'appendToStreams');

    // The first command goes alone; the three queued behind it are decided as one batch.
    const [, first, taken, third] = await Promise.all([
      accounts.decide('a', limits(10), metadata, false),
      accounts.decideJoined('a', limits(11), metadata, false, joining('x-first')),
      accounts.decideJoined('a', limits(12), metadata, false, joining('x-taken')),
      accounts.decideJoined('a', limits(13), metadata, false, joining('x-third')),
    ]);

    expect(first).toMatchObject({ joined: 'x-first', rejections: [] });
    expect(taken).toMatchObject({ conflict: { stream: 'x-taken' } });
    expect(third).toMatchObject({ joined: 'x-third', rejections: [] });
    const account = await store.readStream(accountStream('a'));
    expect(
      account.map((e) => (e.data as { limits: { maxOrdersPerWindow: number } }).limits.maxOrdersPerWindow),
    ).toEqual([10, 11, 13]);
    expect(await store.readStream('x-taken')).toHaveLength(1);
    // The batch was one atomic append (tried twice: once with the taken stream, once without it).
    expect(atomic.mock.calls.map(([appends]) => appends.map((a) => a.stream))).toEqual([
      [accountStream('a'), 'x-first', 'x-taken', 'x-third'],
      [accountStream('a'), 'x-first', 'x-third'],
    ]);
    // The cache holds what was written.
    expect((await accounts.get('a')).revision).toBe(2n);
  });

  it('a joined decision that throws refuses that command alone; its account events are not written', async () => {
    const store = new MemoryEventStore();
    const accounts = new HotAccounts(store, new AggregateStore(store));
    // The first command goes alone; the refused one and the one after it are decided as one batch.
    const [, refused, after] = await Promise.allSettled([
      accounts.decide('a', limits(19), metadata, false),
      accounts.decideJoined('a', limits(20), metadata, false, {
        ...joining('x-refused'),
        decide: () => {
          throw new Error('the order refuses');
        },
      }),
      accounts.decideJoined('a', limits(21), metadata, false, joining('x-after')),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { message: 'the order refuses' } });
    expect(after).toMatchObject({ status: 'fulfilled', value: { joined: 'x-after' } });
    const account = await store.readStream(accountStream('a'));
    expect(
      account.map((e) => (e.data as { limits: { maxOrdersPerWindow: number } }).limits.maxOrdersPerWindow),
    ).toEqual([19, 21]);
    expect(await store.streamRevision('x-refused')).toBeNull();
    expect((await accounts.get('a')).revision).toBe(1n);
  });
});

describe('HotAccounts with snapshots', () => {
  it('snapshots a busy account as it goes, and loads it from the last snapshot and the events after', async () => {
    const store = new MemoryEventStore();
    const snapshots = new AccountSnapshots(store, 10);
    const writer = new HotAccounts(store, new AggregateStore(store), snapshots);
    for (let i = 0; i < 25; i++) await writer.decide('a', limits(i + 1), metadata, false);
    // Written off the command's path: waited for, with a deadline.
    await waitFor(
      () => snapshots.latest('a'),
      (s) => s?.revision === 19n,
      'the second snapshot',
    );

    const reads = jest.spyOn(store, 'readStream');
    const reader = new HotAccounts(store, new AggregateStore(store), snapshots);
    const loaded = await reader.get('a');

    expect(loaded.revision).toBe(24n);
    expect(accountSnapshot(loaded.state)).toEqual(accountSnapshot((await writer.get('a')).state));
    // The account's own events from revision 20 on, not from the start.
    expect(reads.mock.calls.find(([stream]) => stream === accountStream('a'))?.[1]).toMatchObject({
      fromRevision: 20n,
    });
  });

  it('rebuilds from the events when the last snapshot is of another state version', async () => {
    const store = new MemoryEventStore();
    const snapshots = new AccountSnapshots(store, 10);
    const writer = new HotAccounts(store, new AggregateStore(store), snapshots);
    for (let i = 0; i < 12; i++) await writer.decide('a', limits(i + 1), metadata, false);
    await waitFor(
      () => store.readStream(accountSnapshotStream('a')),
      (s) => s.length === 1,
      'a snapshot',
    );
    const [snapshot] = await store.readStream(accountSnapshotStream('a'));
    const stale = snapshot.data as { revision: string; state: { version: number } };
    await store.appendToStream(
      accountSnapshotStream('a'),
      [{ type: 'AccountSnapshotted', data: { ...stale, state: { ...stale.state, version: 0 } }, metadata }],
      ANY,
    );

    const loaded = await new HotAccounts(store, new AggregateStore(store), snapshots).get('a');
    expect(loaded.revision).toBe(11n);
    expect(accountSnapshot(loaded.state)).toEqual(accountSnapshot((await writer.get('a')).state));
  });
});
