import { OrderIntent } from '@oms/domain';
import { ExecutionReport, VenueFill } from '../venue';

/** `<orderId>.<n>` → orderId: child order ids are deterministic, so a report names its order. */
export const orderIdOfChild = (childId: string) => childId.slice(0, childId.lastIndexOf('.'));

/** One execution, from a live report or from the venue's fill record, as the order command. */
export function fillIntent(
  venueId: string,
  fill: Pick<
    VenueFill,
    'clientOrderId' | 'execId' | 'quantity' | 'price' | 'fee' | 'feeCurrency' | 'liquidity' | 'at'
  >,
): OrderIntent {
  return {
    type: 'RecordFill',
    data: {
      orderId: orderIdOfChild(fill.clientOrderId),
      execId: fill.execId,
      venueId,
      childId: fill.clientOrderId,
      quantity: fill.quantity.toString(),
      price: fill.price.toString(),
      fee: fill.fee.toString(),
      ...(fill.feeCurrency ? { feeCurrency: fill.feeCurrency } : {}),
      liquidity: fill.liquidity,
      executedAt: new Date(fill.at).toISOString(),
    },
  };
}

/**
 * An execution report as the order command it stands for, or null for a report that changes
 * nothing on the order by itself: a re-send that met the original (`duplicateOrderId`: the slice
 * works on and reports for itself), and a refused cancel, whose meaning depends on whether the slice
 * still works at the venue (the gateway asks before it records anything).
 */
export function reportToCommand(report: ExecutionReport): OrderIntent | null {
  const orderId = orderIdOfChild(report.clientOrderId);
  const childId = report.clientOrderId;
  switch (report.kind) {
    case 'ack':
      return {
        type: 'AcknowledgeOrder',
        data: { orderId, venueId: report.venueId, childId, venueOrderId: report.venueOrderId },
      };
    case 'fill':
      return fillIntent(report.venueId, report);
    case 'triggered':
      return { type: 'RecordVenueTrigger', data: { orderId, childId, venueId: report.venueId } };
    case 'rejected':
      if (report.duplicateOrderId) return null;
      return {
        type: 'CloseVenueOrder',
        data: { orderId, childId, outcome: 'REJECTED', reason: report.reason },
      };
    case 'canceled':
    case 'expired':
      return {
        type: 'CloseVenueOrder',
        data: {
          orderId,
          childId,
          outcome: report.kind === 'canceled' ? 'CANCELED' : 'EXPIRED',
          reason: report.reason,
        },
      };
    case 'replaced':
      return {
        type: 'RecordSliceReplace',
        data: {
          orderId,
          childId,
          outcome: 'REPLACED',
          quantity: report.quantity.toString(),
          limitPrice: report.limitPrice === null ? null : report.limitPrice.toString(),
        },
      };
    case 'replace-rejected':
      return {
        type: 'RecordSliceReplace',
        data: { orderId, childId, outcome: 'REJECTED', reason: report.reason },
      };
    case 'restated':
      return {
        type: 'RestateSlice',
        data: { orderId, childId, quantity: report.quantity.toString(), reason: report.reason },
      };
    case 'trade-busted':
      return { type: 'BustTrade', data: { orderId, execId: report.execId, reason: report.reason } };
    case 'trade-corrected':
      return {
        type: 'CorrectTrade',
        data: {
          orderId,
          execId: report.execId,
          quantity: report.quantity.toString(),
          price: report.price.toString(),
          reason: report.reason,
        },
      };
    case 'cancel-rejected':
      return null;
  }
}
