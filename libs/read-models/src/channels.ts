/** Notified by the projector, on commit, for every order a batch changed (payload: orderId, accountId). */
export const ORDER_UPDATED_CHANNEL = 'oms_order_updated';

export interface OrderUpdate {
  orderId: string;
  accountId: string;
}
