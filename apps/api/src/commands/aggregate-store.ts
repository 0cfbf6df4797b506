import { Decision } from '@oms/domain';
import { EventMetadata, EventStore, NO_STREAM, RecordedEvent, WrongExpectedVersion } from '@oms/event-store';
import { OmsUserError } from '../graphql/errors';

export interface Decider<C, E, S> {
  decide(command: C, state: S): Decision<E>;
  evolve(state: S, event: E): S;
  initialState(): S;
}

export interface Loaded<S> {
  state: S;
  /** Revision of the last event folded in; null when the stream does not exist. */
  revision: bigint | null;
}

type DomainEventLike = { type: string; data: unknown };

export function toDomainEvent<E>(recorded: RecordedEvent): E {
  return { type: recorded.type, data: recorded.data } as E;
}

/**
 * Load, decide, append with the expected revision; on a concurrent write, catch up and decide again.
 * Refusals become OmsUserError (a typed GraphQL error) and nothing is appended.
 */
export class AggregateStore {
  constructor(private readonly store: EventStore) {}

  async load<C, E, S>(decider: Decider<C, E, S>, stream: string, from?: Loaded<S>): Promise<Loaded<S>> {
    const start = from?.revision ?? null;
    const events = await this.store.readStream(stream, start === null ? {} : { fromRevision: start + 1n });
    let state = from?.state ?? decider.initialState();
    let revision = start;
    for (const recorded of events) {
      state = decider.evolve(state, toDomainEvent<E>(recorded));
      revision = recorded.revision;
    }
    return { state, revision };
  }

  /**
   * Decides and appends, retrying on WrongExpectedVersion with the newer state. Returns the events
   * appended (none for an idempotent repeat) and the state after them.
   */
  async execute<C, E extends DomainEventLike, S>(
    decider: Decider<C, E, S>,
    stream: string,
    command: C,
    metadata: EventMetadata,
    loaded?: Loaded<S>,
  ): Promise<{ events: E[]; after: Loaded<S> }> {
    let current = loaded ?? (await this.load(decider, stream));
    for (let attempt = 0; ; attempt++) {
      const decision = decider.decide(command, current.state);
      if (!decision.accepted) throw OmsUserError.fromRejections(decision.rejections);
      if (decision.events.length === 0) return { events: [], after: current };
      try {
        const result = await this.store.appendToStream(
          stream,
          decision.events.map((e) => ({ type: e.type, data: e.data, metadata })),
          current.revision ?? NO_STREAM,
        );
        const state = decision.events.reduce(decider.evolve, current.state);
        return { events: decision.events, after: { state, revision: result.nextExpectedRevision } };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion) || attempt >= 20) throw error;
        current = await this.load(decider, stream, current);
      }
    }
  }
}
