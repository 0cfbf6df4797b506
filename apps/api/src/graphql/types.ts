import {
  Decimal,
  Liquidity,
  OffsetType,
  OrderStatus,
  OrderType,
  Side,
  TimeInForce,
  TradingState,
  TriggerType,
} from '@oms/domain';
import { VENUE_ID } from '@oms/venues';
import { HaltScope } from '../commands/commands';
import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DateTimeScalar, DecimalScalar, JsonScalar } from './scalars';
import {
  BreakerStateEnum,
  HaltScopeEnum,
  LiquidityEnum,
  OffsetTypeEnum,
  TriggerStatusEnum,
  TriggerTypeEnum,
  OrderStatusEnum,
  OrderTypeEnum,
  SideEnum,
  TimeInForceEnum,
  TradingStateEnum,
} from './enums';

/** Ids name event streams (`order-<id>`, `account-<id>`): letters, digits and `_.:`, no `-` in account ids. */
const ACCOUNT_ID = /^[A-Za-z0-9_.:]{1,64}$/;
const CLIENT_ORDER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const INSTRUMENT_ID = /^[A-Za-z0-9_.:]{1,32}$/;

@ObjectType({
  description: 'Why something was refused: a stable code for machines and a sentence for people.',
})
export class Rejection {
  @Field() code!: string;
  @Field() message!: string;
}

@ObjectType({ description: 'One execution at a venue.' })
export class Fill {
  @Field() execId!: string;
  @Field() venueId!: string;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DecimalScalar) fee!: Decimal;
  @Field(() => String, {
    nullable: true,
    description: 'The fee’s currency as the venue reported it; null: the instrument’s quote currency.',
  })
  feeCurrency!: string | null;
  @Field(() => LiquidityEnum) liquidity!: Liquidity;
  @Field(() => DateTimeScalar) executedAt!: Date;
  @Field({ description: 'True when the venue cancelled this trade (FIX ExecType H).' }) busted!: boolean;
}

@ObjectType()
export class Order {
  @Field(() => ID) id!: string;
  @Field() accountId!: string;
  @Field() clientOrderId!: string;
  @Field() instrumentId!: string;
  @Field(() => SideEnum) side!: Side;
  @Field(() => OrderTypeEnum) type!: OrderType;
  @Field(() => TimeInForceEnum) timeInForce!: TimeInForce;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => DecimalScalar, { nullable: true }) limitPrice!: Decimal | null;
  @Field(() => String, { nullable: true, description: 'Venue the order was directed to, if any.' }) venueId!:
    string | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'When the order expires: a DAY order at its instrument’s session end, a GTD order at its expireAt.',
  })
  expireAt!: Date | null;
  @Field(() => OrderStatusEnum) status!: OrderStatus;
  @Field(() => DecimalScalar) filledQuantity!: Decimal;
  @Field(() => DecimalScalar) leavesQuantity!: Decimal;
  @Field(() => DecimalScalar, { nullable: true }) averagePrice!: Decimal | null;
  @Field(() => DecimalScalar, {
    description: 'Executed quantity beyond the order quantity (an alert when not zero).',
  })
  overfilledQuantity!: Decimal;
  @Field(() => [Rejection], {
    description:
      'Why the order was refused: by pre-trade risk, or by its venue (VENUE_REJECTED, the venue’s words).',
  })
  rejections!: Rejection[];
  @Field(() => [Fill]) fills!: Fill[];
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Triggered types: the trigger price as it stands (a trailing stop’s moves with the market).',
  })
  stopPrice!: Decimal | null;
  @Field(() => TriggerTypeEnum, { nullable: true }) triggerType!: TriggerType | null;
  @Field(() => TriggerStatusEnum, { nullable: true, description: 'Triggered types: where the trigger is.' })
  triggerStatus!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) triggeredAt!: Date | null;
  @Field(() => DecimalScalar, { nullable: true }) trailingOffset!: Decimal | null;
  @Field(() => OffsetTypeEnum, { nullable: true }) trailingOffsetType!: OffsetType | null;
  @Field(() => DecimalScalar, { nullable: true }) limitOffset!: Decimal | null;
  @Field(() => Boolean) postOnly!: boolean;
  @Field(() => DecimalScalar, { nullable: true }) displayQuantity!: Decimal | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType()
export class PlaceOrderResult {
  @Field() accepted!: boolean;
  @Field(() => Order) order!: Order;
  @Field(() => [Rejection]) rejections!: Rejection[];
}

@InputType()
export class PlaceOrderInput {
  @Field()
  @Matches(ACCOUNT_ID, { message: 'accountId: 1–64 letters, digits, "_", "." or ":"' })
  accountId!: string;
  @Field()
  @Matches(CLIENT_ORDER_ID, { message: 'clientOrderId: 1–64 letters, digits, "_", ".", ":" or "-"' })
  clientOrderId!: string;
  @Field()
  @Matches(INSTRUMENT_ID, { message: 'instrumentId: 1–32 letters, digits, "_", "." or ":"' })
  instrumentId!: string;
  @Field(() => SideEnum) side!: Side;
  @Field(() => OrderTypeEnum) type!: OrderType;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => DecimalScalar, { nullable: true }) limitPrice?: Decimal | null;
  @Field(() => TimeInForceEnum, { defaultValue: 'DAY' }) timeInForce!: TimeInForce;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'GTD only: when the order expires (after now, within 366 days).',
  })
  @IsOptional()
  expireAt?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'Route directly to this venue instead of the smart order router.',
  })
  @IsOptional()
  @Matches(VENUE_ID, { message: 'venueId: 1–32 letters, digits, "_", "." or "-".' })
  venueId?: string | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'STOP, STOP_LIMIT, MARKET_IF_TOUCHED, LIMIT_IF_TOUCHED: the trigger price (FIX StopPx).',
  })
  stopPrice?: Decimal | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Trailing types: how far the stop trails.' })
  trailingOffset?: Decimal | null;
  @Field(() => OffsetTypeEnum, {
    nullable: true,
    description: 'Trailing types: PRICE (default) or BASIS_POINTS.',
  })
  trailingOffsetType?: OffsetType | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'TRAILING_STOP_LIMIT: the limit is this far beyond the stop when it triggers (default 0).',
  })
  limitOffset?: Decimal | null;
  @Field(() => TriggerTypeEnum, {
    nullable: true,
    description: 'Triggered types: what is watched (default LAST).',
  })
  triggerType?: TriggerType | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'LIMIT: rest only; refused by the venue if it would take.',
  })
  postOnly?: boolean | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'LIMIT: iceberg, show this much at a time.' })
  displayQuantity?: Decimal | null;
}

@ObjectType()
export class Position {
  @Field() accountId!: string;
  @Field() instrumentId!: string;
  @Field(() => DecimalScalar, { description: 'Signed: long > 0, short < 0.' }) quantity!: Decimal;
  @Field(() => DecimalScalar, {
    description: 'What the open quantity cost, exactly (signed like quantity): quantity × average price.',
  })
  costBasis!: Decimal;
  @Field(() => DecimalScalar, { description: 'costBasis / |quantity|, rounded to 16 places: for display.' })
  averagePrice!: Decimal;
  @Field(() => DecimalScalar) realizedPnl!: Decimal;
  @Field(() => DecimalScalar, { nullable: true, description: 'Null when no mark price is known.' })
  unrealizedPnl!: Decimal | null;
  @Field(() => DecimalScalar, { description: 'In the quote currency.' }) fees!: Decimal;
  @Field(() => [FeeAmount], { description: 'Fees in other currencies, by currency.' })
  otherFees!: FeeAmount[];
  @Field(() => DecimalScalar, { nullable: true }) markPrice!: Decimal | null;
}

@ObjectType({ description: 'A fee total in one currency other than the quote currency.' })
export class FeeAmount {
  @Field() currency!: string;
  @Field(() => DecimalScalar) amount!: Decimal;
}

@ObjectType()
export class Pnl {
  @Field() accountId!: string;
  @Field(() => DecimalScalar) realized!: Decimal;
  @Field(() => DecimalScalar) unrealized!: Decimal;
  @Field(() => DecimalScalar) fees!: Decimal;
  @Field(() => DecimalScalar, { description: 'realized + unrealized − fees' }) net!: Decimal;
  @Field(() => [FeeAmount], {
    description: 'Fees charged in other currencies than the quote: reported here, not in net (unlike units).',
  })
  otherFees!: FeeAmount[];
  @Field(() => [String], {
    description: 'Instruments held without a mark price (their unrealised P&L is not in the sum).',
  })
  unmarkedInstruments!: string[];
}

@ObjectType({ description: 'A position limit for one instrument, in place of the account-wide maxPosition.' })
export class InstrumentPositionLimit {
  @Field() instrumentId!: string;
  @Field(() => DecimalScalar) maxPosition!: Decimal;
}

@InputType()
export class InstrumentPositionLimitInput {
  @Field()
  @Matches(INSTRUMENT_ID, { message: 'instrumentId: 1–32 letters, digits, "_", "." or ":"' })
  instrumentId!: string;
  @Field(() => DecimalScalar) maxPosition!: Decimal;
}

@ObjectType()
export class RiskLimits {
  @Field() accountId!: string;
  @Field(() => DecimalScalar) maxOrderQuantity!: Decimal;
  @Field(() => DecimalScalar) maxOrderNotional!: Decimal;
  @Field(() => DecimalScalar) maxPosition!: Decimal;
  @Field(() => [InstrumentPositionLimit], { description: 'Per-instrument limits in place of maxPosition.' })
  positionLimits!: InstrumentPositionLimit[];
  @Field(() => DecimalScalar) maxOpenNotional!: Decimal;
  @Field(() => DecimalScalar) priceCollarPercent!: Decimal;
  @Field(() => Int) staleReferenceAfterMs!: number;
  @Field(() => Int) maxOrdersPerWindow!: number;
  @Field(() => Int) orderRateWindowMs!: number;
  @Field(() => DecimalScalar) maxDailyLoss!: Decimal;
  @Field() reduceOnly!: boolean;
  @Field(() => [String], { nullable: true }) allowedInstruments!: string[] | null;
  @Field({ description: 'True when not ACTIVE (REDUCING or HALTED).' }) halted!: boolean;
  @Field(() => String, { nullable: true }) haltReason!: string | null;
  @Field(() => TradingStateEnum) tradingState!: TradingState;
}

@InputType()
export class RiskLimitsInput {
  @Field(() => DecimalScalar) maxOrderQuantity!: Decimal;
  @Field(() => DecimalScalar) maxOrderNotional!: Decimal;
  @Field(() => DecimalScalar) maxPosition!: Decimal;
  @Field(() => [InstrumentPositionLimitInput], {
    nullable: true,
    description: 'Per-instrument position limits in place of maxPosition (at most 100).',
  })
  @IsOptional()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => InstrumentPositionLimitInput)
  positionLimits?: InstrumentPositionLimitInput[] | null;
  @Field(() => DecimalScalar) maxOpenNotional!: Decimal;
  @Field(() => DecimalScalar) priceCollarPercent!: Decimal;
  @Field(() => Int) @IsInt() @Min(1) @Max(86_400_000) staleReferenceAfterMs!: number;
  @Field(() => Int) @IsInt() @Min(1) maxOrdersPerWindow!: number;
  @Field(() => Int) @IsInt() @Min(1) @Max(86_400_000) orderRateWindowMs!: number;
  @Field(() => DecimalScalar) maxDailyLoss!: Decimal;
  @Field({ defaultValue: false }) @IsBoolean() reduceOnly!: boolean;
  @Field(() => [String], {
    nullable: true,
    description: 'At most 1,000 instrument ids; none: every instrument.',
  })
  @IsOptional()
  @ArrayMaxSize(1_000)
  @Matches(INSTRUMENT_ID, {
    each: true,
    message: 'allowedInstruments: instrument ids (1–32 letters, digits, "_", "." or ":").',
  })
  allowedInstruments?: string[] | null;
}

@ObjectType({ description: 'The session of a venue reached over FIX.' })
export class VenueSessionStatus {
  @Field({ description: 'FIX.4.2 or FIX.4.4.' }) protocol!: string;
  @Field({ description: 'logged on, connecting or disconnected.' }) state!: string;
  @Field() senderCompId!: string;
  @Field() targetCompId!: string;
  @Field(() => Int, { description: 'The sequence number of the next message sent.' })
  nextSenderSeqNum!: number;
  @Field(() => Int, { description: 'The sequence number expected next from the venue.' })
  nextTargetSeqNum!: number;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'When the venue was last heard from (any message, heartbeats included).',
  })
  lastHeardAt!: Date | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
}

@ObjectType({ description: 'A venue as the execution gateway sees it.' })
export class VenueStatus {
  @Field(() => ID) id!: string;
  @Field() connected!: boolean;
  @Field(() => BreakerStateEnum) breaker!: string;
  @Field(() => Float, { description: 'Share of the rate-limit burst in use, 0–1.' }) rateLimitUsage!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => [String], { description: 'Venue orders the last reconciliation could not explain.' })
  unexplainedOrders!: string[];
  @Field(() => VenueSessionStatus, { nullable: true, description: 'FIX venues: the session.' })
  session!: VenueSessionStatus | null;
  @Field(() => DateTimeScalar, {
    description:
      'When the execution gateway reported this (now in its own process); one silent for 5 s is shown disconnected.',
  })
  reportedAt!: Date;
}

@ObjectType({ description: 'One recorded event of an order, for audit.' })
export class OrderEvent {
  @Field(() => Int, { description: 'Position in the order stream, from 0.' }) revision!: number;
  @Field() type!: string;
  @Field(() => DateTimeScalar) recordedAt!: Date;
  @Field(() => JsonScalar) data!: unknown;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => String, { nullable: true }) causationId!: string | null;
  @Field(() => String, { nullable: true, description: 'Who or what caused it: a user, a venue, a service.' })
  actor!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The API key id (or jwt:<principal>) a user came with.',
  })
  credential!: string | null;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class OrderEdge {
  @Field() cursor!: string;
  @Field(() => Order) node!: Order;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge]) edges!: OrderEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: 'One change of trading state: a halt (with its level) or a resume.' })
export class TradingStateChange {
  @Field(() => TradingStateEnum) state!: TradingState;
  @Field(() => String, { nullable: true, description: 'Why (null for a resume).' }) reason!: string | null;
  @Field(() => String, { nullable: true, description: 'Who: a user, or the system (the loss limit).' })
  actor!: string | null;
  @Field(() => DateTimeScalar) at!: Date;
  @Field({ description: 'Whether the working orders the halt forbids were to be canceled.' })
  cancelWorking!: boolean;
}

@ObjectType({
  description: 'Trading at one scope: ACTIVE, REDUCING or HALTED, and every change, oldest first.',
})
export class TradingStateView {
  @Field(() => HaltScopeEnum) scope!: HaltScope;
  @Field(() => ID, { nullable: true }) id!: string | null;
  @Field(() => TradingStateEnum) state!: TradingState;
  @Field(() => TradingStateChange, { nullable: true, description: 'The change in force; null when ACTIVE.' })
  current!: TradingStateChange | null;
  @Field(() => [TradingStateChange]) history!: TradingStateChange[];
}

@ObjectType({
  description: 'The head of the audit chain: keep it elsewhere; a rewritten chain will not match it.',
})
export class AuditAnchor {
  @Field(() => Int, { description: 'Events chained.' }) count!: number;
  @Field({ description: 'Log position of the last chained event.' }) position!: string;
  @Field({ description: 'SHA-256 of the chain up to it, hex.' }) hash!: string;
}

@ObjectType({ description: 'Where the audit chain first breaks, and how.' })
export class AuditProblem {
  @Field({ description: 'altered, deleted, inserted or reordered.' }) kind!: string;
  @Field() position!: string;
  @Field() detail!: string;
}

@ObjectType({ description: 'The event log recomputed against its hash chain.' })
export class AuditVerification {
  @Field() ok!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => AuditProblem, { nullable: true }) problem!: AuditProblem | null;
  @Field(() => AuditAnchor, { nullable: true }) head!: AuditAnchor | null;
}

@InputType({ description: 'What to look for in the log; every field given must match.' })
export class AuditFilter {
  @Field(() => String, {
    nullable: true,
    description: 'As recorded, e.g. user:alice or system:execution-gateway.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 80)
  actor?: string | null;
  @Field(() => String, { nullable: true, description: 'The account, and every order placed for it.' })
  @IsOptional()
  @Matches(ACCOUNT_ID, { message: 'accountId: 1–64 letters, digits, "_", "." or ":"' })
  accountId?: string | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsString() @Length(1, 64) orderId?: string | null;
  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(40)
  @Length(1, 64, { each: true })
  eventTypes?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded at or after.' })
  @IsOptional()
  from?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded before.' })
  @IsOptional()
  to?: Date | null;
}

@ObjectType({ description: 'One event of the log, as an auditor reads it.' })
export class AuditEvent {
  @Field({ description: 'Its place in the log.' }) position!: string;
  @Field() stream!: string;
  @Field(() => Int) revision!: number;
  @Field() type!: string;
  @Field(() => DateTimeScalar) recordedAt!: Date;
  @Field(() => String, { nullable: true }) actor!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The API key id (or jwt:<principal>) a user came with.',
  })
  credential!: string | null;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => String, { nullable: true }) causationId!: string | null;
  @Field(() => JsonScalar) data!: unknown;
}

@ObjectType()
export class AuditEventEdge {
  @Field() cursor!: string;
  @Field(() => AuditEvent) node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
