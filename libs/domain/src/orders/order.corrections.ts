/** Corrections from a venue after the fact: trade busts (FIX ExecType H) and corrections (G). */
import { Decision, accept } from '../shared/decision';
import { isoTimestamp } from '../shared/time';
import {
  OrderEvent,
  OrderState,
  fillsAfterBust,
  fillsAfterCorrection,
  liveFill,
  orderAfter,
  totalsAt,
} from './order';
import { BustTrade, CorrectTrade, refuse, requireSent, tryDecimal } from './order.commands';
import { endAfterExecutionChange, overfillAlert } from './order.endings';

export function bustTrade(command: BustTrade, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, execId, reason } = command.data;
  const known = order.fills.find((f) => f.execId === execId);
  if (!known) return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no execution ${execId} to bust.`);
  if (known.busted) return accept();
  const at = isoTimestamp(command.metadata.now);
  const busted: OrderEvent = {
    type: 'TradeBusted',
    data: {
      orderId,
      execId,
      reason,
      bustedAt: at,
      ...totalsAt(fillsAfterBust(order.fills, execId), order.orderQty, order.closure),
    },
  };
  const after = orderAfter(order, busted);
  const end = endAfterExecutionChange(order, after, known.venueId, `busted ${execId}: ${reason}`, at);
  return accept(busted, ...(end ? [end] : []));
}

export function correctTrade(command: CorrectTrade, state: OrderState): Decision<OrderEvent> {
  const order = requireSent(state, command.data.orderId);
  if ('accepted' in order) return order;
  const { orderId, execId, reason } = command.data;
  const fill = liveFill(order.fills, execId);
  if (!fill)
    return refuse('UNKNOWN_EXECUTION', `Order ${orderId} has no live execution ${execId} to correct.`);
  const quantity = tryDecimal(command.data.quantity);
  const price = tryDecimal(command.data.price);
  if (!quantity || !quantity.isPositive() || !price || !price.isPositive()) {
    return refuse(
      'INVALID_EXECUTION',
      `A correction needs a positive quantity and price (got ${command.data.quantity} @ ${command.data.price}).`,
    );
  }
  if (quantity.eq(fill.quantity) && price.eq(fill.price)) return accept();
  const at = isoTimestamp(command.metadata.now);
  const data = {
    orderId,
    execId,
    quantity: quantity.toString(),
    price: price.toString(),
    previousQuantity: fill.quantity.toString(),
    previousPrice: fill.price.toString(),
    reason,
    correctedAt: at,
  };
  const corrected: OrderEvent = {
    type: 'TradeCorrected',
    data: {
      ...data,
      ...totalsAt(fillsAfterCorrection(order.fills, execId, quantity, price), order.orderQty, order.closure),
    },
  };
  const after = orderAfter(order, corrected);
  const events: OrderEvent[] = [corrected];
  const overfill = overfillAlert(order, after, execId, fill.venueId);
  if (overfill) events.push(overfill);
  const end = endAfterExecutionChange(
    order,
    after,
    fill.venueId,
    `corrected ${execId} from ${fill.quantity} to ${quantity}: ${reason}`,
    at,
  );
  if (end) events.push(end);
  return accept(...events);
}
