import { AccountSnapshot, AccountState, accountFromSnapshot, accountSnapshot } from '@oms/domain';
import { ANY, EventStore } from '@oms/event-store';
import { Loaded } from '../aggregates/aggregate-store';
import { accountSnapshotStream } from '../streams';

/** What a snapshot event holds: the state, and the account stream revision it was folded to. */
interface SnapshotData {
  /** The account stream's revision the state includes. */
  revision: string;
  /** Under its own key, so the snapshot is not mistaken for an account's own event (auditTrail). */
  state: AccountSnapshot;
}

/** One snapshot every this many account events, by default. */
export const SNAPSHOT_EVERY = 1_000;

/**
 * Snapshots of busy accounts, on a stream of their own beside the account's (`accountsnapshot-<id>`):
 * an account with 100,000 events is loaded from its last snapshot and the events after it, not folded
 * from the start. A snapshot of another state version is not used (the account is rebuilt from its
 * events). A snapshot is a cache of what the events say, never a source of truth: losing one costs
 * time, nothing else.
 */
export class AccountSnapshots {
  constructor(
    private readonly store: EventStore,
    readonly every = SNAPSHOT_EVERY,
  ) {}

  /** The latest usable snapshot, or null. */
  async latest(accountId: string): Promise<Loaded<AccountState> | null> {
    const [last] = await this.store.readStream(accountSnapshotStream(accountId), {
      direction: 'backwards',
      maxCount: 1,
    });
    if (!last) return null;
    const data = last.data as SnapshotData;
    const state = accountFromSnapshot(data.state);
    return state ? { state, revision: BigInt(data.revision) } : null;
  }

  /** Is a snapshot due, the account having moved from `before` to `after`? */
  due(before: bigint | null, after: bigint | null): boolean {
    if (after === null) return false;
    const every = BigInt(this.every);
    return before === null ? after + 1n >= every : (after + 1n) / every > (before + 1n) / every;
  }

  async save(accountId: string, loaded: Loaded<AccountState>): Promise<void> {
    if (loaded.revision === null) return;
    const data: SnapshotData = { revision: loaded.revision.toString(), state: accountSnapshot(loaded.state) };
    await this.store.appendToStream(
      accountSnapshotStream(accountId),
      [
        {
          type: 'AccountSnapshotted',
          data,
          metadata: { correlationId: `snapshot-${accountId}`, causationId: null, actor: 'system:snapshots' },
        },
      ],
      ANY,
    );
  }
}
