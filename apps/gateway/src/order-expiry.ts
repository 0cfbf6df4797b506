import { Order, isWorking } from '@oms/domain';
import { Clock, runAt } from '@oms/platform';
import { GATEWAY_ACTOR, GatewayOrders, metadata } from './gateway-orders';

/**
 * The OMS's own watch on DAY and GTD orders. A venue that can expire orders is sent the expiry and
 * ends them itself; this is for a venue that cannot (the order went there GTC) and for an expiry
 * report that never came. At the expiry plus a grace for the venue's own report, an order still
 * working is expired: its slices are canceled at their venues, and it ends EXPIRED once they are.
 */
export class OrderExpiry {
  private readonly watches = new Map<string, () => void>();
  private stopped = false;

  constructor(
    private readonly orders: GatewayOrders,
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly background: (work: Promise<void>, what: string) => void,
  ) {}

  watch(order: Order): void {
    if (order.expireAt === null || !isWorking(order.status)) return;
    this.watchAt(order.terms.orderId, Date.parse(order.expireAt) + this.graceMs);
  }

  private watchAt(orderId: string, due: number): void {
    if (this.stopped || this.watches.has(orderId)) return;
    this.watches.set(
      orderId,
      runAt(this.clock, due, () => {
        this.watches.delete(orderId);
        this.background(this.expire(orderId), `expiry of ${orderId}`);
      }),
    );
  }

  /** The order ended: nothing to watch. */
  forget(orderId: string): void {
    this.watches.get(orderId)?.();
    this.watches.delete(orderId);
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.watches.values()) cancel();
    this.watches.clear();
  }

  /**
   * Expires the order if it still works; while it does (its venue refused the cancel, or has not
   * answered yet), it is looked at again a grace later, until it has ended.
   */
  private async expire(orderId: string): Promise<void> {
    // Until the order is seen ended, it is looked at again (a failure here included).
    let stillWorking = true;
    try {
      await this.orders.run(orderId, async () => {
        const loaded = await this.orders.load(orderId);
        const order = loaded.state;
        if (!order.exists || !isWorking(order.status)) {
          stillWorking = false;
          return;
        }
        if (order.pendingCancel) return;
        const after = await this.orders.command(
          orderId,
          { type: 'ExpireOrder', data: { orderId, reason: `its expiry ${order.expireAt} passed` } },
          metadata(`expiry-${orderId}`, null, GATEWAY_ACTOR),
          loaded,
        );
        if (after) stillWorking = isWorking(after.status);
      });
    } finally {
      if (stillWorking) this.watchAt(orderId, this.clock.now() + this.graceMs);
    }
  }
}
