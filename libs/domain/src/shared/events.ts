import type { AccountEvent } from '../accounts/account';
import type { ControlsEvent } from '../controls/controls';
import type { InstrumentEvent } from '../instruments/instrument';
import type { OrderEvent } from '../orders/order';
import type { OrderListEvent } from '../lists/order-list';

/** Every event the OMS records, as one union: subscribers name the types they handle from it. */
export type OmsEvent = OrderEvent | OrderListEvent | AccountEvent | InstrumentEvent | ControlsEvent;
export type OmsEventType = OmsEvent['type'];
/** The event (type and data) of one type. */
export type EventOfType<T extends OmsEventType> = Extract<OmsEvent, { type: T }>;
