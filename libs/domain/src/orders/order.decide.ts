import { transitionProblem } from './order.transitions';
import { Decider, Decision, assertNever } from '../shared/decision';
import { OrderEvent, OrderState, evolveOrder, initialOrderState } from './order';
import { OrderCommand, refuse } from './order.commands';
import { expire, placeOrder, requestCancel, requestReplace } from './order.intents';
import {
  acknowledge,
  confirmCancel,
  confirmReplace,
  recordFill,
  recordVenueReject,
  rejectCancel,
  rejectReplace,
} from './order.venue-reports';
import { bustTrade, correctTrade } from './order.corrections';
import { armOrder, moveTrailingStop, recordVenueTrigger, triggerOrder } from './order.held';
import {
  closeVenueOrder,
  markUnconfirmed,
  recordSliceReplace,
  restateSlice,
  resendSlice,
  routeOrder,
  routeReplace,
} from './order.slices';

export {
  ORDER_REJECTION_CODES,
  type AcknowledgeOrder,
  type ArmOrder,
  type RecordVenueTrigger,
  type MoveTrailingStop,
  type TriggerOrder,
  type BustTrade,
  type CloseVenueOrder,
  type ConfirmCancel,
  type ConfirmReplace,
  type CorrectTrade,
  type ExpireOrder,
  type MarkUnconfirmed,
  type OrderCommand,
  type OrderIntent,
  type OrderRejectionCode,
  type PlaceOrder,
  type RecordFill,
  type RecordSliceReplace,
  type RecordVenueReject,
  type RejectCancel,
  type RejectReplace,
  type RequestCancel,
  type RequestReplace,
  type RestateSlice,
  type RouteOrder,
  type RouteReplace,
} from './order.commands';
export { reducedToDone } from './order.endings';
export { releaseLimitPrice } from './order.held';

/**
 * Decides a command, then holds the decision to the state machine (ORDER_TRANSITIONS): every event it
 * would record must be a transition the table allows from the status it meets, or nothing is recorded.
 */
export function decideOrder(command: OrderCommand, state: OrderState): Decision<OrderEvent> {
  const decision = decideCommand(command, state);
  if (!decision.accepted) return decision;
  let current = state;
  for (const event of decision.events) {
    const next = evolveOrder(current, event);
    const problem = transitionProblem(
      current.exists ? current.status : null,
      event.type,
      next.exists ? next.status : null,
    );
    if (problem) return refuse('INVALID_TRANSITION', problem);
    current = next;
  }
  return decision;
}

function decideCommand(command: OrderCommand, state: OrderState): Decision<OrderEvent> {
  switch (command.type) {
    case 'ArmOrder':
      return armOrder(command, state);
    case 'RecordVenueTrigger':
      return recordVenueTrigger(command, state);
    case 'MoveTrailingStop':
      return moveTrailingStop(command, state);
    case 'TriggerOrder':
      return triggerOrder(command, state);
    case 'PlaceOrder':
      return placeOrder(command, state);
    case 'RouteOrder':
      return routeOrder(command, state);
    case 'RouteReplace':
      return routeReplace(command, state);
    case 'RecordSliceReplace':
      return recordSliceReplace(command, state);
    case 'MarkUnconfirmed':
      return markUnconfirmed(command, state);
    case 'CloseVenueOrder':
      return closeVenueOrder(command, state);
    case 'AcknowledgeOrder':
      return acknowledge(command, state);
    case 'RecordFill':
      return recordFill(command, state);
    case 'RecordVenueReject':
      return recordVenueReject(command, state);
    case 'RequestCancel':
      return requestCancel(command, state);
    case 'ConfirmCancel':
      return confirmCancel(command, state);
    case 'RejectCancel':
      return rejectCancel(command, state);
    case 'RequestReplace':
      return requestReplace(command, state);
    case 'ConfirmReplace':
      return confirmReplace(command, state);
    case 'RejectReplace':
      return rejectReplace(command, state);
    case 'ExpireOrder':
      return expire(command, state);
    case 'BustTrade':
      return bustTrade(command, state);
    case 'CorrectTrade':
      return correctTrade(command, state);
    case 'RestateSlice':
      return restateSlice(command, state);
    case 'ResendSlice':
      return resendSlice(command, state);
    default:
      return assertNever(command);
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: initialOrderState,
};
