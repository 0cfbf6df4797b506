import {
  ACCESS_ROLES,
  HALT_LEVELS,
  CONTINGENCY_TYPES,
  LEG_ROLES,
  LIQUIDITY,
  OFFSET_TYPES,
  TRIGGER_TYPES,
  ORDER_STATUSES,
  ORDER_TYPES,
  SIDES,
  TIMES_IN_FORCE,
} from '@oms/domain';
import { registerEnumType } from '@nestjs/graphql';
import { HALT_SCOPES } from '../commands/commands';

/** GraphQL enums mirror the domain's literal unions, so the two cannot drift apart. */
function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

export const SideEnum = enumOf(SIDES);
export const OrderTypeEnum = enumOf(ORDER_TYPES);
export const TimeInForceEnum = enumOf(TIMES_IN_FORCE);
export const OrderStatusEnum = enumOf(ORDER_STATUSES);
export const LiquidityEnum = enumOf(LIQUIDITY);
export const HaltScopeEnum = enumOf(HALT_SCOPES);
export const HaltLevelEnum = enumOf(HALT_LEVELS);
export const TradingStateEnum = enumOf(['ACTIVE', ...HALT_LEVELS] as const);
export const TriggerTypeEnum = enumOf(TRIGGER_TYPES);
export const OffsetTypeEnum = enumOf(OFFSET_TYPES);
export const TRIGGER_STATUSES = ['ACCEPTED', 'ARMED', 'RELEASED', 'AT_VENUE'] as const;
export const TriggerStatusEnum = enumOf(TRIGGER_STATUSES);
export const ContingencyTypeEnum = enumOf(CONTINGENCY_TYPES);
export const LegRoleEnum = enumOf(LEG_ROLES);
export const BREAKER_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export const BreakerStateEnum = enumOf(BREAKER_STATES);

registerEnumType(SideEnum, { name: 'Side' });
registerEnumType(ContingencyTypeEnum, {
  name: 'ContingencyType',
  description:
    'OCO: one fills or ends, the others are canceled; OTO: the primary’s fill places the secondaries; BRACKET: entry, take-profit and stop-loss.',
});
registerEnumType(LegRoleEnum, {
  name: 'LegRole',
  description: 'OCO: MEMBER; OTO: PRIMARY, SECONDARY; BRACKET: ENTRY, TAKE_PROFIT, STOP_LOSS.',
});
registerEnumType(TriggerTypeEnum, {
  name: 'TriggerType',
  description:
    'What a triggered order watches: LAST trade, BID_ASK (a buy the ask, a sell the bid), or MARK.',
});
registerEnumType(OffsetTypeEnum, {
  name: 'OffsetType',
  description: 'A trailing offset in PRICE or BASIS_POINTS.',
});
registerEnumType(TriggerStatusEnum, {
  name: 'TriggerStatus',
  description:
    'A held order: ACCEPTED (not yet watched), ARMED (watched by the OMS), RELEASED (sent on to the venues), AT_VENUE (sent natively: its venue holds the trigger).',
});
registerEnumType(OrderTypeEnum, { name: 'OrderType' });
registerEnumType(TimeInForceEnum, { name: 'TimeInForce' });
registerEnumType(OrderStatusEnum, { name: 'OrderStatus' });
registerEnumType(LiquidityEnum, { name: 'Liquidity' });
registerEnumType(HaltScopeEnum, { name: 'HaltScope', description: 'Where a kill switch applies.' });
registerEnumType(HaltLevelEnum, {
  name: 'HaltLevel',
  description: 'REDUCING: only orders that shrink a position, and cancels; HALTED: cancels only.',
});
registerEnumType(TradingStateEnum, { name: 'TradingState', description: 'ACTIVE, REDUCING or HALTED.' });
registerEnumType(BreakerStateEnum, {
  name: 'BreakerState',
  description: 'A venue circuit breaker: CLOSED sends, OPEN refuses, HALF_OPEN lets one probe through.',
});

export const AccessRoleEnum = enumOf(ACCESS_ROLES);
registerEnumType(AccessRoleEnum, {
  name: 'AccessRole',
  description:
    'TRADER: trades and reads granted accounts; RISK_OFFICER: limits, halts, mass cancels, reads all; AUDITOR: reads everything, changes nothing; ADMIN: principals, keys, grants, accounts, instruments.',
});
