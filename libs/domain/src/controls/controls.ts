import { Halt, HaltTerms, haltLevel, haltTermsOf } from '../instruments/instrument';
import { Command, Decider, Decision, DomainEvent, accept, assertNever } from '../shared/decision';
import { isoTimestamp } from '../shared/time';

/** The global kill switch (stream `controls-global`). */
export type ControlsEvent =
  | DomainEvent<'GlobalTradingHalted', { reason: string; haltedAt: string } & HaltTerms>
  | DomainEvent<'GlobalTradingResumed', { resumedAt: string }>;

export type ControlsCommand =
  | Command<'HaltGlobalTrading', { reason: string } & HaltTerms>
  | Command<'ResumeGlobalTrading', Record<string, never>>;

export interface ControlsState {
  halt: Halt | null;
}

export function decideControls(command: ControlsCommand, state: ControlsState): Decision<ControlsEvent> {
  const now = isoTimestamp(command.metadata.now);
  switch (command.type) {
    case 'HaltGlobalTrading': {
      const terms = haltTermsOf(command.data);
      if (haltLevel(state.halt) === terms.state) return accept();
      return accept({
        type: 'GlobalTradingHalted',
        data: { reason: command.data.reason, haltedAt: now, ...terms },
      });
    }
    case 'ResumeGlobalTrading':
      if (!state.halt) return accept();
      return accept({ type: 'GlobalTradingResumed', data: { resumedAt: now } });
    default:
      return assertNever(command);
  }
}

export function evolveControls(state: ControlsState, event: ControlsEvent): ControlsState {
  switch (event.type) {
    case 'GlobalTradingHalted':
      return {
        halt: {
          state: event.data.state ?? 'HALTED',
          reason: event.data.reason,
          haltedAt: event.data.haltedAt,
        },
      };
    case 'GlobalTradingResumed':
      return { halt: null };
    default:
      return assertNever(event);
  }
}

export const controlsDecider: Decider<ControlsCommand, ControlsEvent, ControlsState> = {
  decide: decideControls,
  evolve: evolveControls,
  initialState: (): ControlsState => ({ halt: null }),
};
