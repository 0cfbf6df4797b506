import { AccountCommand, AccountState, Rejection, accountDecider, decideAccount } from '@oms/domain';
import {
  EventMetadata,
  EventStore,
  ExpectedRevision,
  GlobalPosition,
  NO_STREAM,
  START,
  NewEvent,
  StreamAppend,
  WrongExpectedVersion,
} from '@oms/event-store';
import { preTradeDecisionSeconds, preTradeRejections, retry } from '@oms/platform';
import { AggregateStore, CONFLICT_RETRY, Loaded } from '../aggregates/aggregate-store';
import { AccountSnapshots } from './account-snapshots';
import { Refusal } from '../refusal';
import { accountStream } from '../streams';

export interface AccountOutcome {
  /** Every failed check; empty when the command was accepted. */
  rejections: Rejection[];
  /** The account as this command left it (or found it, when refused). */
  state: AccountState;
}

/**
 * Another stream's events, decided from the account's outcome and committed with the account's in
 * one atomic append (an order's first event beside its reservation): both are written or neither.
 */
export interface JoinedAppend<T> {
  stream: string;
  expectedRevision: ExpectedRevision;
  /**
   * The events to append, from the account command's outcome (a refusal included), and what to answer
   * with. Throwing refuses this command alone; its account events are then not written either.
   */
  decide(outcome: AccountOutcome): { events: NewEvent[]; value: T };
  /** Aborted when whoever asked is gone: a command not yet decided then is dropped, nothing written. */
  signal?: AbortSignal;
}

/** How a joined command came out: decided and written with the account, or its stream conflicted. */
export type JoinedOutcome<T> =
  | (AccountOutcome & {
      joined: T;
      /** Where the joined stream's events are in the log. */ position: GlobalPosition;
    })
  /** The joined stream was not at its expected revision: nothing of this command was written. */
  | { conflict: WrongExpectedVersion };

interface Queued {
  make: (account: AccountState) => AccountCommand;
  metadata: EventMetadata;
  mustExist: boolean;
  joined?: JoinedAppend<unknown>;
  resolve(outcome: AccountOutcome | JoinedOutcome<unknown>): void;
  reject(error: unknown): void;
}

/** Commands decided together at most; the rest wait for the next write. */
const MAX_BATCH = 256;

/**
 * Accounts kept hot in memory with their revision, and the one way account commands are decided.
 * Commands for one account queue up; everything that queued while the previous write was in flight is
 * decided together, in arrival order, each against the state the ones before it left, and their events
 * go to the account stream in one append with the expected revision. A busy account therefore pays
 * one durable write per batch, not per order, and risk still sees every earlier reservation. Another
 * process writing the same account makes the append fail; the batch is then decided again on the
 * newer state. A command may join another stream's events (an order's first event) to the account's:
 * the batch is then one atomic append over the account and every joined stream, with the account at
 * the revision it was decided on even when the command wrote nothing there (a refusal is judged on
 * the account as it is). A joined stream that is not where it was expected fails the whole append;
 * that command is answered with the conflict and the rest of the batch is written without it.
 */
export class HotAccounts {
  private readonly accounts = new Map<string, Loaded<AccountState>>();
  private readonly queues = new Map<string, Queued[]>();

  constructor(
    private readonly store: EventStore,
    private readonly aggregates: AggregateStore,
    /** Busy accounts load from their last snapshot; none: always from their first event. */
    private readonly snapshots: AccountSnapshots | null = null,
  ) {}

  /**
   * Decides `make(state)` on the account. A refusal resolves with its rejections (nothing appended);
   * `mustExist` refuses an account that has no stream with UNKNOWN_ACCOUNT.
   */
  decide(
    accountId: string,
    make: (account: AccountState) => AccountCommand,
    metadata: EventMetadata,
    mustExist: boolean,
  ): Promise<AccountOutcome> {
    return this.enqueue(accountId, { make, metadata, mustExist }) as Promise<AccountOutcome>;
  }

  /** As `decide`, with another stream's events decided from the outcome and written atomically with it. */
  decideJoined<T>(
    accountId: string,
    make: (account: AccountState) => AccountCommand,
    metadata: EventMetadata,
    mustExist: boolean,
    joined: JoinedAppend<T>,
  ): Promise<JoinedOutcome<T>> {
    return this.enqueue(accountId, { make, metadata, mustExist, joined }) as Promise<JoinedOutcome<T>>;
  }

  private enqueue(
    accountId: string,
    command: Pick<Queued, 'make' | 'metadata' | 'mustExist' | 'joined'>,
  ): Promise<AccountOutcome | JoinedOutcome<unknown>> {
    return new Promise((resolve, reject) => {
      const queued: Queued = { ...command, resolve, reject };
      const queue = this.queues.get(accountId);
      if (queue) {
        queue.push(queued);
        return;
      }
      this.queues.set(accountId, [queued]);
      void this.drain(accountId);
    });
  }

  async get(accountId: string): Promise<Loaded<AccountState>> {
    return this.accounts.get(accountId) ?? this.refresh(accountId);
  }

  /**
   * Reads what was appended since the cached revision; the first time, from the account's last snapshot
   * (or its first event).
   */
  async refresh(accountId: string): Promise<Loaded<AccountState>> {
    const cached = this.accounts.get(accountId) ?? (await this.snapshots?.latest(accountId)) ?? undefined;
    const loaded = await this.aggregates.load(accountDecider, accountStream(accountId), cached);
    this.accounts.set(accountId, loaded);
    return loaded;
  }

  /** Written beside the account, off the command's path; a lost snapshot costs time, never state. */
  private snapshotIfDue(accountId: string, before: bigint | null, after: Loaded<AccountState>): void {
    if (!this.snapshots?.due(before, after.revision)) return;
    void this.snapshots.save(accountId, after).catch(() => undefined);
  }

  /** The accounts held in memory now. */
  held(): [string, Loaded<AccountState>][] {
    return [...this.accounts];
  }

  private async drain(accountId: string): Promise<void> {
    const queue = this.queues.get(accountId) as Queued[];
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.decideBatch(accountId, batch);
        batch.forEach((queued, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof Error) queued.reject(outcome);
          else queued.resolve(outcome);
        });
      } catch (error) {
        for (const queued of batch) queued.reject(error);
      }
    }
    this.queues.delete(accountId);
  }

  private stored(accountId: string, before: bigint | null, after: Loaded<AccountState>): void {
    this.accounts.set(accountId, after);
    this.snapshotIfDue(accountId, before, after);
  }

  private async decideBatch(
    accountId: string,
    batch: Queued[],
  ): Promise<(AccountOutcome | JoinedOutcome<unknown> | Error)[]> {
    let account = await this.get(accountId);
    // Not known here yet; another instance may have created it since this one looked.
    if (account.revision === null && batch.some((q) => q.mustExist)) account = await this.refresh(accountId);
    // Commands whose joined stream was not where they expected: answered with that, decided no more.
    const conflicts = new Map<Queued, WrongExpectedVersion>();
    return retry(
      async (attempt) => {
        if (attempt > 1) account = await this.refresh(accountId);
        for (;;) {
          const live = batch.filter((q) => !conflicts.has(q));
          const decided = decideInOrder(accountId, account, live);
          const answers = (): (AccountOutcome | JoinedOutcome<unknown> | Error)[] => {
            const byCommand = new Map(live.map((q, i) => [q, decided.outcomes[i]]));
            return batch.map((q) => {
              const conflict = conflicts.get(q);
              return conflict ? { conflict } : (byCommand.get(q) as AccountOutcome | Error);
            });
          };
          const stream = accountStream(accountId);
          const expected = account.revision ?? NO_STREAM;
          try {
            if (decided.joined.length > 0) {
              const results = await this.store.appendToStreams([
                { stream, events: decided.events, expectedRevision: expected },
                ...decided.joined,
              ]);
              decided.joiners.forEach((answer, k) => (answer.position = results[k + 1].position));
              this.stored(accountId, account.revision, {
                state: decided.state,
                revision: decided.events.length > 0 ? results[0].nextExpectedRevision : account.revision,
              });
            } else if (decided.events.length > 0) {
              const result = await this.store.appendToStream(stream, decided.events, expected);
              this.stored(accountId, account.revision, {
                state: decided.state,
                revision: result.nextExpectedRevision,
              });
            }
            return answers();
          } catch (error) {
            const joiner =
              error instanceof WrongExpectedVersion && error.stream !== stream
                ? live.find((q) => q.joined?.stream === error.stream)
                : undefined;
            if (!joiner) throw error;
            conflicts.set(joiner, error as WrongExpectedVersion);
          }
        }
      },
      { ...CONFLICT_RETRY, retryIf: (e) => e instanceof WrongExpectedVersion },
    );
  }
}

/** Each queued command against the state the ones before it left, in arrival order. */
function decideInOrder(
  accountId: string,
  account: Loaded<AccountState>,
  batch: Queued[],
): {
  state: AccountState;
  events: NewEvent[];
  joined: StreamAppend[];
  /** The answers of the commands whose events are in `joined`, in the same order. */
  joiners: { position: GlobalPosition }[];
  outcomes: (AccountOutcome | JoinedOutcome<unknown> | Error)[];
} {
  let state = account.state;
  let exists = account.revision !== null;
  const events: NewEvent[] = [];
  const joined: StreamAppend[] = [];
  const joiners: { position: GlobalPosition }[] = [];
  const outcomes: (AccountOutcome | JoinedOutcome<unknown> | Error)[] = [];
  for (const queued of batch) {
    if (queued.joined?.signal?.aborted) {
      outcomes.push(abandoned());
      continue;
    }
    if (queued.mustExist && !exists) {
      outcomes.push(new Refusal('UNKNOWN_ACCOUNT', `Account ${accountId} does not exist.`));
      continue;
    }
    const command = queued.make(state);
    const started = performance.now();
    const decision = decideAccount(command, state);
    if (command.type === 'ReserveExposure' || command.type === 'ReserveReplacement') {
      preTradeDecisionSeconds.observe((performance.now() - started) / 1000);
      if (!decision.accepted) for (const r of decision.rejections) preTradeRejections.inc({ code: r.code });
    }
    if (!decision.accepted && !queued.joined) {
      outcomes.push({ rejections: decision.rejections, state });
      continue;
    }
    const accepted = decision.accepted ? decision.events : [];
    const after = accepted.reduce(accountDecider.evolve, state);
    const outcome: AccountOutcome = {
      rejections: decision.accepted ? [] : decision.rejections,
      state: after,
    };
    if (queued.joined) {
      try {
        const { events: joinedEvents, value } = queued.joined.decide(outcome);
        const answer = { ...outcome, joined: value, position: START };
        if (joinedEvents.length > 0) {
          joined.push({
            stream: queued.joined.stream,
            events: joinedEvents,
            expectedRevision: queued.joined.expectedRevision,
          });
          joiners.push(answer);
        }
        outcomes.push(answer);
      } catch (error) {
        // Refused by what it joins: nothing of this command is written.
        outcomes.push(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
    } else {
      outcomes.push(outcome);
    }
    for (const event of accepted) {
      events.push({ type: event.type, data: event.data, metadata: queued.metadata });
    }
    state = after;
    exists ||= accepted.length > 0;
  }
  return { state, events, joined, joiners, outcomes };
}

/** The client of a request went away before its command was decided: nothing was done for it. */
export function abandoned(): Refusal {
  return new Refusal(
    'CLIENT_GONE',
    'The request was abandoned by its client before it was decided; nothing was recorded.',
  );
}
