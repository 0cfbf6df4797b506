import {
  ContingencyType,
  Decimal,
  LegRole,
  OffsetType,
  OrderType,
  Side,
  TimeInForce,
  TriggerType,
} from '@oms/domain';
import { VENUE_ID } from '@oms/venues';
import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsOptional, Matches, ValidateNested } from 'class-validator';
import {
  ContingencyTypeEnum,
  LegRoleEnum,
  OffsetTypeEnum,
  OrderTypeEnum,
  SideEnum,
  TimeInForceEnum,
  TriggerTypeEnum,
} from './enums';
import { DateTimeScalar, DecimalScalar } from './scalars';
import { INSTRUMENT_ID, Order, Rejection } from './types';

const ACCOUNT_ID = /^[A-Za-z0-9_.:]{1,64}$/;
/** Room for a leg's suffix (`.<key>.<n>`) within a client order id's 64 characters. */
const CLIENT_LIST_ID = /^[A-Za-z0-9_.:-]{1,48}$/;

@InputType({ description: 'One order of a list: its role, a key (1–8 letters, digits, _) and its terms.' })
export class OrderListLegInput {
  @Field() @Matches(/^[A-Za-z0-9_]{1,8}$/, { message: 'key: 1–8 letters, digits or "_"' }) key!: string;
  @Field(() => LegRoleEnum) role!: LegRole;
  @Field()
  @Matches(INSTRUMENT_ID, { message: 'instrumentId: 1–32 letters, digits, "_", "." or ":"' })
  instrumentId!: string;
  @Field(() => SideEnum) side!: Side;
  @Field(() => OrderTypeEnum) type!: OrderType;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Required except for a bracket’s exits, which are sized to what the entry filled.',
  })
  quantity?: Decimal | null;
  @Field(() => DecimalScalar, { nullable: true }) limitPrice?: Decimal | null;
  @Field(() => DecimalScalar, { nullable: true }) stopPrice?: Decimal | null;
  @Field(() => DecimalScalar, { nullable: true }) trailingOffset?: Decimal | null;
  @Field(() => OffsetTypeEnum, { nullable: true }) trailingOffsetType?: OffsetType | null;
  @Field(() => DecimalScalar, { nullable: true }) limitOffset?: Decimal | null;
  @Field(() => TriggerTypeEnum, { nullable: true }) triggerType?: TriggerType | null;
  @Field(() => TimeInForceEnum, { defaultValue: 'GTC' }) timeInForce!: TimeInForce;
  @Field(() => DateTimeScalar, { nullable: true }) @IsOptional() expireAt?: Date | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(VENUE_ID, { message: 'venueId: 1–32 letters, digits, "_", "." or "-".' })
  venueId?: string | null;
  @Field(() => Boolean, { nullable: true }) postOnly?: boolean | null;
  @Field(() => DecimalScalar, { nullable: true }) displayQuantity?: Decimal | null;
}

@InputType()
export class PlaceOrderListInput {
  @Field()
  @Matches(ACCOUNT_ID, { message: 'accountId: 1–64 letters, digits, "_", "." or ":"' })
  accountId!: string;
  @Field()
  @Matches(CLIENT_LIST_ID, { message: 'clientListId: 1–48 letters, digits, "_", ".", ":" or "-"' })
  clientListId!: string;
  @Field(() => ContingencyTypeEnum) contingency!: ContingencyType;
  @Field(() => [OrderListLegInput])
  @ArrayMinSize(2)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => OrderListLegInput)
  legs!: OrderListLegInput[];
}

@ObjectType({
  description: 'A leg of a list and the orders placed for it (a bracket exit may need more than one).',
})
export class OrderListLeg {
  @Field() key!: string;
  @Field(() => LegRoleEnum) role!: LegRole;
  @Field(() => [Order]) orders!: Order[];
}

@ObjectType({ description: 'A contingent list: OCO, OTO or BRACKET.' })
export class OrderList {
  @Field(() => ID) id!: string;
  @Field() accountId!: string;
  @Field() clientListId!: string;
  @Field(() => ContingencyTypeEnum) contingency!: ContingencyType;
  @Field({ description: 'ACTIVE, CANCELING (a cancel of the whole list is under way) or ENDED.' })
  status!: string;
  @Field(() => [OrderListLeg]) legs!: OrderListLeg[];
}

@ObjectType()
export class PlaceOrderListResult {
  @Field(() => OrderList) list!: OrderList;
  @Field(() => [Rejection], { description: 'Why a leg placed at once was refused by pre-trade risk.' })
  rejections!: Rejection[];
}
