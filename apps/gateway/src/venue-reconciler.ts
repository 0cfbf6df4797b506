import {
  ChildSlice,
  Decimal,
  Order,
  WORKING_CHILD_STATUSES,
  reducedToDone,
  netOfFilledBefore,
} from '@oms/domain';
import { Clock, Logger, reconciliationFindings, venueErrors } from '@oms/platform';
import { VenueLine, fillIntent, orderIdOfChild, reconcileSlice } from '@oms/venues';
import { GATEWAY_ACTOR, GatewayOrders } from './gateway-orders';
import { SliceTracker } from './slice-tracker';
import { VenueRequests } from './venue-requests';

/**
 * Keeps the OMS and its venues agreeing. A slice not acknowledged in time is flagged unconfirmed and
 * its venue is asked — never rejected on a guess — and one the venue never saw is sent again under
 * its own id. On start and on every reconnect a venue is reconciled: the fills it reports since last
 * seen, its open orders (ones the OMS cannot explain are reported), and every slice still working
 * here, through the pure `reconcileSlice`.
 */
export class VenueReconciler {
  /** Last venue fill sequence applied, per venue (reconciliation asks for fills after it). */
  private readonly lastFillSequence = new Map<string, number>();
  private readonly unexplained = new Map<string, string[]>();

  constructor(
    private readonly lines: ReadonlyMap<string, VenueLine>,
    private readonly orders: GatewayOrders,
    private readonly tracker: SliceTracker,
    private readonly requests: VenueRequests,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly ackTimeoutMs: number,
  ) {}

  /** Venue orders the OMS could not explain at the last reconciliation. */
  unexplainedAt(venueId: string): string[] {
    return [...(this.unexplained.get(venueId) ?? [])];
  }

  /** Called when the ack timeout of a slice sent at `childId` has passed. */
  checkAck(orderId: string, childId: string): Promise<void> {
    return this.orders.run(orderId, async () => {
      const { state } = await this.orders.load(orderId);
      if (!state.exists) return;
      const child = state.children[childId];
      // Submitted and not heard of (or sent again after being flagged): ask the venue.
      if (!child || (child.status !== 'SUBMITTED' && child.status !== 'UNCONFIRMED')) return;
      venueErrors.inc({ venue: child.venueId, kind: 'ack_timeout' });
      await this.orders.command(
        orderId,
        {
          type: 'MarkUnconfirmed',
          data: { orderId, childId, reason: `no acknowledgement within ${this.ackTimeoutMs} ms` },
        },
        this.tracker.metadataFor(orderId, childId, null, GATEWAY_ACTOR),
      );
      await this.resolve(state, child);
    });
  }

  /** Asks the venue about a slice and records what it says; one it never saw is sent again under its own id. */
  async resolve(order: Order, child: ChildSlice): Promise<void> {
    const line = this.lines.get(child.venueId);
    if (!line || !line.venue.connected) return; // reconciliation on reconnect takes it from here
    const status = await line.venue.queryOrder(child.childId).catch(() => undefined);
    if (status === undefined) return;
    const fills =
      status === null
        ? []
        : (await line.venue.fillsSince(0)).filter((f) => f.clientOrderId === child.childId);
    const outcome = reconcileSlice(order, child, status, fills);
    const orderId = order.terms.orderId;
    if (outcome.kind === 'unknown-at-venue') {
      if (this.tracker.onTheWire(child.childId, this.clock.now(), this.ackTimeoutMs)) return;
      this.log.warn(
        { orderId, childId: child.childId, venueId: child.venueId },
        'slice not at its venue: sending it again (same id, what is left of it)',
      );
      reconciliationFindings.inc({ venue: child.venueId, kind: 'resent_slice' });
      // Recorded first (and its old venue order forgotten, so the new acknowledgement is taken).
      const resent = await this.orders.command(
        orderId,
        {
          type: 'ResendSlice',
          data: { orderId, childId: child.childId, reason: `${child.venueId} does not know the slice` },
        },
        this.tracker.metadataFor(orderId, child.childId, null, GATEWAY_ACTOR),
      );
      const again = resent?.children[child.childId];
      if (!resent || !again) return;
      const { childId, venueId, limitPrice, stopPrice } = again;
      const left = netOfFilledBefore(again).toString();
      // A native stop its venue has not reported triggered goes again as the stop it was.
      const untriggered = !resent.trigger?.triggeredAt && Decimal.parse(again.cumQty).isZero();
      const stop = stopPrice !== undefined && untriggered ? { stopPrice } : {};
      await this.requests.send(
        resent,
        { childId, venueId, quantity: left, limitPrice, ...stop },
        undefined,
        true,
      );
      return;
    }
    this.tracker.heardOf(child.childId);
    for (const finding of outcome.findings) {
      reconciliationFindings.inc({ venue: child.venueId, kind: finding.kind });
      this.log.warn(
        { orderId, childId: child.childId, venueId: child.venueId, finding: finding.kind },
        finding.detail,
      );
    }
    const venueMetadata = this.tracker.metadataFor(orderId, child.childId, null, `venue:${child.venueId}`);
    for (const command of outcome.commands) await this.orders.command(orderId, command, venueMetadata);
    if (!outcome.working) {
      this.tracker.forget(child.venueId, child.childId);
      return;
    }
    // Still working there: a cancel asked for meanwhile goes out now.
    const { state } = await this.orders.load(orderId);
    const current = state.exists ? state.children[child.childId] : undefined;
    if (state.exists && state.pendingCancel && current) await this.requests.cancel(orderId, current);
  }

  /**
   * A venue refused to cancel a slice (FIX 35=9). If the slice still works there, the order's cancel is
   * refused and it returns to what it was; if the venue has ended it meanwhile (filled, canceled), its
   * status and fills are recorded as reconciliation finds them, and the order follows.
   */
  cancelRefused(orderId: string, childId: string, reason: string): Promise<void> {
    return this.orders.run(orderId, async () => {
      const { state } = await this.orders.load(orderId);
      const child = state.exists ? state.children[childId] : undefined;
      if (!state.exists || !child || !state.pendingCancel) return;
      const line = this.lines.get(child.venueId);
      const status = line?.venue.connected
        ? await line.venue.queryOrder(childId).catch(() => undefined)
        : undefined;
      if (status && (status.state === 'NEW' || status.state === 'PARTIALLY_FILLED')) {
        venueErrors.inc({ venue: child.venueId, kind: 'cancel_rejected' });
        await this.orders.command(
          orderId,
          {
            type: 'RejectCancel',
            data: { orderId, reason: `${child.venueId} refused to cancel ${childId}: ${reason}` },
          },
          this.tracker.metadataFor(orderId, childId, 'cancel', `venue:${child.venueId}`),
        );
        // That request is answered: what the venue does later on its own does not follow from it.
        this.tracker.answered(orderId, 'cancel');
        return;
      }
      await this.resolve(state, child);
    });
  }

  /** Venue side first: fills since last seen, then open orders, then every slice still working here. */
  async reconcile(line: VenueLine): Promise<void> {
    if (!line.venue.connected) return;
    const venueId = line.venueId;
    const fills = await line.venue.fillsSince(this.lastFillSequence.get(venueId) ?? 0);
    for (const f of fills) {
      const orderId = orderIdOfChild(f.clientOrderId);
      await this.orders.run(orderId, async () => {
        const before = await this.orders.load(orderId);
        if (before.state.exists && !before.state.fills.some((known) => known.execId === f.execId)) {
          reconciliationFindings.inc({ venue: venueId, kind: 'missed_fill' });
        }
        await this.orders.command(
          orderId,
          fillIntent(venueId, f),
          this.tracker.metadataFor(orderId, f.clientOrderId, null, `venue:${venueId}`),
          before,
        );
      });
      this.lastFillSequence.set(venueId, Math.max(this.lastFillSequence.get(venueId) ?? 0, f.sequence));
    }
    // A venue that cannot list its open orders (a FIX mass status refused or unanswered) is asked
    // about each working slice below, as one that never lists them is.
    const open = await line.venue.openOrders().catch((error: unknown) => {
      this.log.warn({ err: error, venueId }, 'open orders not listed; asking about each working slice');
      return [];
    });
    const unexplained: string[] = [];
    for (const status of open) {
      const orderId = orderIdOfChild(status.clientOrderId);
      const { state } = await this.orders.load(orderId);
      if (!state.exists || !state.children[status.clientOrderId])
        unexplained.push(`${status.venueOrderId} (${status.clientOrderId})`);
      else this.tracker.track(venueId, status.clientOrderId, orderId);
    }
    this.unexplained.set(venueId, unexplained);
    if (unexplained.length > 0) {
      reconciliationFindings.inc({ venue: venueId, kind: 'unexplained_order' }, unexplained.length);
      this.log.warn({ venueId, unexplained }, 'venue orders the OMS cannot explain');
    }
    const openIds = new Set(open.map((o) => o.clientOrderId));
    for (const [childId, orderId] of this.tracker.workingAt(venueId)) {
      await this.orders.run(orderId, async () => {
        const { state } = await this.orders.load(orderId);
        const child = state.exists ? state.children[childId] : undefined;
        if (!state.exists || !child || !WORKING_CHILD_STATUSES.includes(child.status)) {
          this.tracker.forget(venueId, childId);
          return;
        }
        if (openIds.has(childId) && child.status !== 'SUBMITTED' && child.status !== 'UNCONFIRMED') {
          // Working at the venue: a cancel or a replace asked for may have been lost (or never sent).
          if (state.pendingCancel || reducedToDone(state)) await this.requests.cancel(orderId, child);
          else if (child.replace && !child.replace.answer) await this.requests.replace(orderId, child);
          return;
        }
        await this.resolve(state, child);
      });
    }
  }
}
