/** Stream names: the category before the first '-' (ARCHITECTURE section 3). */
export const orderStream = (orderId: string) => `order-${orderId}`;
export const accountStream = (accountId: string) => `account-${accountId}`;
/** Snapshots of an account's state (a cache of its events; see AccountSnapshots). */
export const accountSnapshotStream = (accountId: string) => `accountsnapshot-${accountId}`;
export const instrumentStream = (instrumentId: string) => `instrument-${instrumentId}`;
export const orderListStream = (listId: string) => `orderlist-${listId}`;
export const CONTROLS_STREAM = 'controls-global';
/** Principals, keys and grants: one stream, so each request checks access with one read. */
export const ACCESS_STREAM = 'access-control';

const CATEGORIES = [
  'order',
  'orderlist',
  'account',
  'accountsnapshot',
  'instrument',
  'controls',
  'access',
] as const;
export type StreamCategory = (typeof CATEGORIES)[number];

/** A stream name read back: its category and the id after the first '-'. */
export function parseStream(stream: string): { category: StreamCategory; id: string } {
  const dash = stream.indexOf('-');
  const category = stream.slice(0, dash) as StreamCategory;
  if (dash <= 0 || !CATEGORIES.includes(category)) throw new Error(`Not an OMS stream: ${stream}`);
  return { category, id: stream.slice(dash + 1) };
}

/** The order id of an `order-<id>` stream. */
export function orderIdOf(stream: string): string {
  const { category, id } = parseStream(stream);
  if (category !== 'order') throw new Error(`Not an order stream: ${stream}`);
  return id;
}
