import { randomUUID } from 'crypto';
import { Decider, Rejection } from '@oms/domain';
import { EventMetadata, EventStore, NO_STREAM, NewEvent, WrongExpectedVersion } from '@oms/event-store';
import { retry, systemClock } from '@oms/platform';
import { Refusal } from '../refusal';

export interface Loaded<S> {
  state: S;
  /** Revision of the last event folded in; null when the stream does not exist. */
  revision: bigint | null;
}

/** What executing a command on an aggregate came to: the events appended, or why it was refused. */
export type Executed<E, S> =
  | {
      accepted: true;
      events: E[];
      after: Loaded<S>;
      /** The ids the events were stored under. */ eventIds: string[];
    }
  | { accepted: false; rejections: Rejection[]; current: Loaded<S> };

/**
 * Optimistic-concurrency conflicts are retried this often, backing off from 1 ms to 50 ms of real
 * time: contention with another writer is resolved on the wall clock, whatever clock the domain runs
 * on (a virtual one standing still must not stall a retry).
 */
export const CONFLICT_RETRY = { attempts: 20, baseDelayMs: 1, maxDelayMs: 50, clock: systemClock } as const;

type DomainEventLike = { type: string; data: unknown };

/**
 * Domain events as events to append, each under an id named here, so that what follows from an event
 * can say so (causation) before it is read back, and a retried append is stored once.
 */
function newEvents(events: readonly DomainEventLike[], metadata: EventMetadata): NewEvent[] {
  return events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data, metadata }));
}

/**
 * A command decided on a state, as the events to append (under ids of their own) and the state they
 * leave; a refusal is thrown as one. For a stream written together with another (a joined append).
 */
export function decideToAppend<C, E extends DomainEventLike, S>(
  decider: Decider<C, E, S>,
  command: C,
  state: S,
  metadata: EventMetadata,
): { events: NewEvent[]; after: S } {
  const decision = decider.decide(command, state);
  if (!decision.accepted) throw Refusal.of(decision.rejections);
  return {
    events: newEvents(decision.events, metadata),
    after: decision.events.reduce(decider.evolve, state),
  };
}

/** Load, decide, append with the expected revision; on a concurrent write, catch up and decide again. */
export class AggregateStore {
  constructor(private readonly store: EventStore) {}

  /**
   * The aggregate folded from its stream: from scratch, or on from `from`; up to `toRevision` when
   * given (the state as one event left it).
   */
  async load<C, E, S>(
    decider: Decider<C, E, S>,
    stream: string,
    from?: Loaded<S>,
    options: { toRevision?: bigint } = {},
  ): Promise<Loaded<S>> {
    const start = from?.revision ?? null;
    const fromRevision = start === null ? 0n : start + 1n;
    const maxCount =
      options.toRevision === undefined ? undefined : Number(options.toRevision - fromRevision + 1n);
    if (maxCount !== undefined && maxCount <= 0)
      return from ?? { state: decider.initialState(), revision: null };
    const events = await this.store.readStream(stream, { fromRevision, maxCount });
    let state = from?.state ?? decider.initialState();
    let revision = start;
    for (const recorded of events) {
      // The stream holds only this aggregate's events, written from its own types.
      state = decider.evolve(state, { type: recorded.type, data: recorded.data } as E);
      revision = recorded.revision;
    }
    return { state, revision };
  }

  /**
   * Decides and appends, retrying on WrongExpectedVersion with the newer state. A refusal is a value
   * (nothing appended); an idempotent repeat is accepted with no events.
   */
  async execute<C, E extends DomainEventLike, S>(
    decider: Decider<C, E, S>,
    stream: string,
    command: C,
    metadata: EventMetadata,
    loaded?: Loaded<S>,
  ): Promise<Executed<E, S>> {
    let current = loaded ?? (await this.load(decider, stream));
    return retry(
      async (attempt) => {
        if (attempt > 1) current = await this.load(decider, stream, current);
        const decision = decider.decide(command, current.state);
        if (!decision.accepted) return { accepted: false, rejections: decision.rejections, current };
        if (decision.events.length === 0) return { accepted: true, events: [], eventIds: [], after: current };
        const events = newEvents(decision.events, metadata);
        const eventIds = events.map((e) => e.eventId as string);
        const result = await this.store.appendToStream(stream, events, current.revision ?? NO_STREAM);
        const state = decision.events.reduce(decider.evolve, current.state);
        return {
          accepted: true,
          events: decision.events,
          eventIds,
          after: { state, revision: result.nextExpectedRevision },
        };
      },
      { ...CONFLICT_RETRY, retryIf: (e) => e instanceof WrongExpectedVersion },
    );
  }
}
