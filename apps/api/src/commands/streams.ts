/** Stream names: the category before the first '-' (ARCHITECTURE section 3). */
export const orderStream = (orderId: string) => `order-${orderId}`;
export const accountStream = (accountId: string) => `account-${accountId}`;
export const instrumentStream = (instrumentId: string) => `instrument-${instrumentId}`;
export const CONTROLS_STREAM = 'controls-global';
