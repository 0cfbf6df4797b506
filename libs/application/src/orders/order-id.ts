import { createHash } from 'crypto';

/** Fixed namespace for order ids (a random v4 uuid chosen once; never change it: ids would change). */
const ORDER_ID_NAMESPACE = 'c6f3b0a2-6f1e-4f55-9a43-2a8f3d1e7b90';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/**
 * The order id is a name-based (version 5) UUID of (accountId, clientOrderId): the same request always
 * lands on the same `order-<id>` stream, which is what makes placing an order idempotent, also across
 * restarts and API instances.
 */
export function orderIdFor(accountId: string, clientOrderId: string): string {
  const hash = createHash('sha1')
    .update(uuidBytes(ORDER_ID_NAMESPACE))
    .update(`${accountId}\u0000${clientOrderId}`, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
