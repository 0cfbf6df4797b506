import { Decider, Rejection } from '../shared/decision';

/**
 * given(events).when(command).then(events) for jest, in the business's own words:
 *   spec.given(accepted, partiallyFilled).when(cancel).then(cancelRequested)
 */
export function deciderSpec<C, E, S>(decider: Decider<C, E, S>) {
  return {
    given(...history: E[]) {
      const state = history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C) {
          const decision = decider.decide(command, state);
          return {
            decision,
            then(...expected: E[]): S {
              if (!decision.accepted) {
                throw new Error(
                  `Expected events but the command was rejected: ${JSON.stringify(decision.rejections)}`,
                );
              }
              expect(decision.events).toEqual(expected);
              return decision.events.reduce(decider.evolve, state);
            },
            /** The events decided, for a test that checks only some of their fields. */
            thenEvents(): E[] {
              if (!decision.accepted) {
                throw new Error(
                  `Expected events but the command was rejected: ${JSON.stringify(decision.rejections)}`,
                );
              }
              return decision.events;
            },
            thenNothing(): void {
              if (!decision.accepted)
                throw new Error(
                  `Expected no events but got rejections ${JSON.stringify(decision.rejections)}`,
                );
              expect(decision.events).toEqual([]);
            },
            thenRejects(...codes: string[]): Rejection[] {
              if (decision.accepted) {
                throw new Error(
                  `Expected rejection ${codes.join(', ')} but got events ${JSON.stringify(decision.events)}`,
                );
              }
              expect(decision.rejections.map((r) => r.code)).toEqual(codes);
              for (const r of decision.rejections) expect(r.message.length).toBeGreaterThan(10);
              return decision.rejections;
            },
          };
        },
      };
    },
  };
}
