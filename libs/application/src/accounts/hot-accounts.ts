import { AccountCommand, AccountState, Rejection, accountDecider, decideAccount } from '@oms/domain';
import { EventMetadata, EventStore, NO_STREAM, NewEvent, WrongExpectedVersion } from '@oms/event-store';
import { preTradeDecisionSeconds, preTradeRejections, retry } from '@oms/platform';
import { AggregateStore, CONFLICT_RETRY, Loaded } from '../aggregates/aggregate-store';
import { Refusal } from '../refusal';
import { accountStream } from '../streams';

export interface AccountOutcome {
  /** Every failed check; empty when the command was accepted. */
  rejections: Rejection[];
  /** The account as this command left it (or found it, when refused). */
  state: AccountState;
}

interface Queued {
  make: (account: AccountState) => AccountCommand;
  metadata: EventMetadata;
  mustExist: boolean;
  resolve(outcome: AccountOutcome): void;
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
 * newer state.
 */
export class HotAccounts {
  private readonly accounts = new Map<string, Loaded<AccountState>>();
  private readonly queues = new Map<string, Queued[]>();

  constructor(
    private readonly store: EventStore,
    private readonly aggregates: AggregateStore,
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
    return new Promise<AccountOutcome>((resolve, reject) => {
      const queued: Queued = { make, metadata, mustExist, resolve, reject };
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

  /** Reads what was appended since the cached revision (all of it, the first time). */
  async refresh(accountId: string): Promise<Loaded<AccountState>> {
    const loaded = await this.aggregates.load(
      accountDecider,
      accountStream(accountId),
      this.accounts.get(accountId),
    );
    this.accounts.set(accountId, loaded);
    return loaded;
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

  private async decideBatch(accountId: string, batch: Queued[]): Promise<(AccountOutcome | Error)[]> {
    let account = await this.get(accountId);
    // Not known here yet; another instance may have created it since this one looked.
    if (account.revision === null && batch.some((q) => q.mustExist)) account = await this.refresh(accountId);
    return retry(
      async (attempt) => {
        if (attempt > 1) account = await this.refresh(accountId);
        const { state, events, outcomes } = decideInOrder(accountId, account, batch);
        if (events.length === 0) return outcomes;
        const result = await this.store.appendToStream(
          accountStream(accountId),
          events,
          account.revision ?? NO_STREAM,
        );
        this.accounts.set(accountId, { state, revision: result.nextExpectedRevision });
        return outcomes;
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
): { state: AccountState; events: NewEvent[]; outcomes: (AccountOutcome | Error)[] } {
  let state = account.state;
  let exists = account.revision !== null;
  const events: NewEvent[] = [];
  const outcomes: (AccountOutcome | Error)[] = [];
  for (const queued of batch) {
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
    if (!decision.accepted) {
      outcomes.push({ rejections: decision.rejections, state });
      continue;
    }
    for (const event of decision.events) {
      state = accountDecider.evolve(state, event);
      events.push({ type: event.type, data: event.data, metadata: queued.metadata });
    }
    exists ||= decision.events.length > 0;
    outcomes.push({ rejections: [], state });
  }
  return { state, events, outcomes };
}
