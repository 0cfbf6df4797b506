/** Orders the OMS holds until their trigger: armed, trailed, triggered and released (or refused). */
import { Decimal, dec } from '../decimal/decimal';
import { Decision, accept } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import { Order, OrderEvent, OrderState } from './order';
import {
  ArmOrder,
  MoveTrailingStop,
  RecordVenueTrigger,
  TriggerOrder,
  closedOrFilled,
  refuse,
  requireOrder,
} from './order.commands';
import {
  isTrailingType,
  reachesTrigger,
  stopImproves,
  trailingLimitPrice,
  venueOrderTypeOf,
} from './order.triggers';

function requireTriggered(state: OrderState, orderId: string): Order | Decision<OrderEvent> {
  const order = requireOrder(state, orderId);
  if ('accepted' in order) return order;
  if (!order.trigger) {
    return refuse(
      'NOT_A_TRIGGERED_ORDER',
      `Order ${orderId} is a ${order.terms.type} order: it has no trigger.`,
    );
  }
  return order;
}

export function armOrder(command: ArmOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireTriggered(state, command.data.orderId);
  if ('accepted' in order) return order;
  const trigger = order.trigger!;
  if (trigger.status !== 'ACCEPTED') return accept(); // armed already
  const refusal = closedOrFilled(order, 'route');
  if (refusal) return refusal;
  if (order.pendingCancel) return accept();
  const { orderId, watermark, market } = command.data;
  // A trailing stop is armed where the market puts it; any other at the stop price it has now (the
  // watcher may have seen it before a replace moved it).
  const trailing = isTrailingType(order.terms.type);
  const stopPrice =
    trailing || trigger.stopPrice === null ? command.data.stopPrice : trigger.stopPrice.toString();
  return accept({
    type: 'OrderArmed',
    data: {
      orderId,
      triggerType: trigger.triggerType,
      stopPrice,
      watermark: trailing ? watermark : null,
      market,
      armedAt: isoTimestamp(command.metadata.now),
    },
  });
}

export function moveTrailingStop(command: MoveTrailingStop, state: OrderState): Decision<OrderEvent> {
  const order = requireTriggered(state, command.data.orderId);
  if ('accepted' in order) return order;
  const trigger = order.trigger!;
  if (!isTrailingType(order.terms.type)) {
    return refuse('NOT_A_TRIGGERED_ORDER', `Order ${order.terms.orderId} is not a trailing stop.`);
  }
  // Not armed, released or ended, or no better than what is recorded: nothing to record.
  const stopPrice = dec(command.data.stopPrice);
  if (trigger.status !== 'ARMED' || order.closure !== null || order.pendingCancel) return accept();
  if (!stopImproves(order.terms.side, trigger.stopPrice, stopPrice)) return accept();
  return accept({
    type: 'TrailingStopMoved',
    data: { ...command.data, movedAt: isoTimestamp(command.metadata.now) },
  });
}

export function triggerOrder(command: TriggerOrder, state: OrderState): Decision<OrderEvent> {
  const order = requireTriggered(state, command.data.orderId);
  if ('accepted' in order) return order;
  const trigger = order.trigger!;
  const { orderId, price, market, rejections, reference, protectionPrice } = command.data;
  const refusal = closedOrFilled(order, 'route');
  if (refusal) return refusal;
  if (trigger.status !== 'ARMED' || trigger.stopPrice === null || order.pendingCancel) {
    return refuse('ORDER_NOT_ARMED', `Order ${orderId} is not armed (it is ${trigger.status}).`);
  }
  const watched = dec(price);
  if (!reachesTrigger(order.terms.type, order.terms.side, trigger.stopPrice, watched)) {
    return refuse(
      'TRIGGER_NOT_REACHED',
      `${price} does not reach the trigger ${trigger.stopPrice} of ${order.terms.side} ${order.terms.type} order ${orderId}.`,
    );
  }
  const now = isoTimestamp(command.metadata.now);
  const triggered: OrderEvent = {
    type: 'OrderTriggered',
    data: { orderId, stopPrice: trigger.stopPrice.toString(), price, market, triggeredAt: now },
  };
  if (rejections.length > 0) {
    return accept<OrderEvent>(
      triggered,
      { type: 'OrderReleaseRefused', data: { orderId, rejections, refusedAt: now, ...reference } },
      {
        type: 'OrderCanceled',
        data: {
          orderId,
          canceledQty: order.leavesQty.toString(),
          reason: `release refused by pre-trade risk: ${rejections.map((r) => r.code).join(', ')}`,
          canceledAt: now,
        },
      },
    );
  }
  const type = venueOrderTypeOf(order.terms.type);
  return accept<OrderEvent>(triggered, {
    type: 'OrderReleased',
    data: {
      orderId,
      type,
      limitPrice: type === 'LIMIT' ? releaseLimitPrice(order, trigger.stopPrice).toString() : null,
      protectionPrice: type === 'MARKET' ? protectionPrice : null,
      releasedAt: now,
      ...reference,
    },
  });
}

/**
 * A stop sent natively was triggered by its venue: recorded once, for the order's history (its fills
 * follow as for any working order). A report about a slice the order does not have, or about an order
 * not at a venue as a stop, changes nothing.
 */
export function recordVenueTrigger(command: RecordVenueTrigger, state: OrderState): Decision<OrderEvent> {
  const order = requireTriggered(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, childId, venueId } = command.data;
  const child = order.children[childId];
  if (order.trigger!.status !== 'AT_VENUE' || order.trigger!.triggeredAt !== null) return accept();
  if (!child || child.stopPrice === undefined) return accept();
  return accept({
    type: 'VenueOrderTriggered',
    data: { orderId, childId, venueId, triggeredAt: isoTimestamp(command.metadata.now) },
  });
}

/** The limit a triggered LIMIT-type order is released with: its own, or a trailing stop-limit's from the stop. */
export function releaseLimitPrice(order: Order, stopPrice: Decimal): Decimal {
  if (order.terms.type === 'TRAILING_STOP_LIMIT') {
    return trailingLimitPrice(
      order.terms.side,
      stopPrice,
      order.terms.limitOffset ? dec(order.terms.limitOffset) : null,
    );
  }
  return order.limitPrice as Decimal;
}
