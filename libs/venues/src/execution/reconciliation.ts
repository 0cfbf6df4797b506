import { ChildSlice, Decimal, Order, OrderIntent, netOfFilledBefore } from '@oms/domain';
import { VenueFill, VenueOrderStatus } from '../venue';
import { fillIntent, orderIdOfChild } from './report-to-command';

export type ReconciliationFindingKind = 'missed_fill' | 'closed_at_venue' | 'fill_mismatch';

export interface ReconciliationFinding {
  kind: ReconciliationFindingKind;
  detail: string;
}

/** What the venue's view of one slice means for the order. */
export type SliceReconciliation =
  /** The venue never saw the slice: it may be sent again, under its own id. */
  | { kind: 'unknown-at-venue' }
  | {
      kind: 'known';
      /** Commands that bring the order to what the venue reports (duplicates fall away in the decider). */
      commands: OrderIntent[];
      /** Still working at the venue. */
      working: boolean;
      findings: ReconciliationFinding[];
    };

const CLOSED = { CANCELED: 'CANCELED', REJECTED: 'REJECTED', EXPIRED: 'EXPIRED' } as const;

/**
 * Pure reconciliation of one slice: the order as the OMS holds it, the venue's status of the slice
 * (null: never seen there) and the venue's fill records for it. The venue is the authority on what
 * traded: fills the OMS has not recorded are recorded; a slice the venue has ended is closed; the
 * filled quantities are compared, and a difference that the fill records do not explain is reported.
 */
export function reconcileSlice(
  order: Order,
  child: ChildSlice,
  status: VenueOrderStatus | null,
  venueFills: readonly VenueFill[],
): SliceReconciliation {
  if (status === null) return { kind: 'unknown-at-venue' };
  const venueId = child.venueId;
  const orderId = orderIdOfChild(child.childId);
  const known = new Set(order.fills.map((f) => f.execId));
  const missed = venueFills.filter((f) => f.clientOrderId === child.childId && !known.has(f.execId));
  const findings: ReconciliationFinding[] = missed.map((f) => ({
    kind: 'missed_fill',
    detail: `${venueId} reports execution ${f.execId} of ${child.childId} (${f.quantity} @ ${f.price}) the OMS had not recorded`,
  }));
  const commands: OrderIntent[] = [
    {
      type: 'AcknowledgeOrder',
      data: { orderId, venueId, childId: child.childId, venueOrderId: status.venueOrderId },
    },
    ...missed.map((f) => fillIntent(venueId, f)),
  ];
  // What this venue order filled, as the OMS knows it (net of fills before a re-send after a lost book).
  const held = netOfFilledBefore(child, Decimal.parse(child.cumQty)).plus(
    Decimal.sum(missed.map((f) => f.quantity)),
  );
  if (!held.eq(status.filledQuantity)) {
    findings.push({
      kind: 'fill_mismatch',
      detail: `${venueId} reports ${status.filledQuantity} filled on ${child.childId}; the OMS holds ${held} after its fill records`,
    });
  }
  if (status.state in CLOSED) {
    const outcome = CLOSED[status.state as keyof typeof CLOSED];
    commands.push({
      type: 'CloseVenueOrder',
      data: { orderId, childId: child.childId, outcome, reason: `venue reports ${status.state}` },
    });
    if (child.status !== outcome) {
      findings.push({
        kind: 'closed_at_venue',
        detail: `${venueId} reports ${child.childId} ${status.state}`,
      });
    }
  }
  return {
    kind: 'known',
    commands,
    working: status.state === 'NEW' || status.state === 'PARTIALLY_FILLED',
    findings,
  };
}
