import { AccessRole, Decimal, TradingState } from '@oms/domain';
import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsBoolean,
  IsInt,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { AccessRoleEnum, TradingStateEnum } from './enums';
import { DateTimeScalar, DecimalScalar } from './scalars';
import { VENUE_ID } from '@oms/venues';
import { INSTRUMENT_ID } from './types';

/** Principal ids become actors (`user:<id>`): lower-case letters, digits and `._-`, no `:`. */
export const PRINCIPAL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const CURRENCY = /^[A-Z0-9]{2,12}$/;

@ObjectType({ description: 'An API key as it is listed: never its secret.' })
export class ApiKeyView {
  @Field(() => ID) keyId!: string;
  @Field() label!: string;
  @Field(() => DateTimeScalar) issuedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType({ description: 'Who may use the OMS: roles, granted accounts and keys.' })
export class PrincipalView {
  @Field(() => ID) principalId!: string;
  @Field() name!: string;
  @Field(() => [AccessRoleEnum]) roles!: AccessRole[];
  @Field(() => [ID], { description: 'Accounts granted to this TRADER.' }) accounts!: string[];
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) disabledAt!: Date | null;
  @Field(() => [ApiKeyView]) keys!: ApiKeyView[];
}

@ObjectType({ description: 'A new API key: the secret is shown here once and stored only as a hash.' })
export class IssuedApiKey {
  @Field(() => ID) principalId!: string;
  @Field(() => ID) keyId!: string;
  @Field({ description: 'Send as "Authorization: Bearer <key>". It cannot be shown again.' }) key!: string;
}

@InputType()
export class PrincipalInput {
  @Field(() => ID)
  @Matches(PRINCIPAL_ID, { message: 'principalId: 1–64 lower-case letters, digits, ".", "_" or "-".' })
  principalId!: string;
  @Field() @Length(1, 100) name!: string;
  @Field(() => [AccessRoleEnum]) @ArrayMinSize(1) @ArrayMaxSize(4) roles!: AccessRole[];
}

@ObjectType()
export class VenueSymbol {
  @Field(() => ID) venueId!: string;
  @Field() symbol!: string;
}

@InputType()
export class VenueSymbolInput {
  @Field(() => ID) @Matches(VENUE_ID) venueId!: string;
  @Field() @Matches(/^[A-Za-z0-9_./:-]{1,32}$/) symbol!: string;
}

@InputType({ description: 'Reference data of an instrument; a 24/7 session whose day ends at UTC midnight.' })
export class InstrumentInput {
  @Field(() => ID)
  @Matches(INSTRUMENT_ID, { message: 'instrumentId: 1–32 letters, digits, "_", "." or ":".' })
  instrumentId!: string;
  @Field() @Matches(CURRENCY) baseCurrency!: string;
  @Field() @Matches(CURRENCY) quoteCurrency!: string;
  @Field(() => DecimalScalar) tickSize!: Decimal;
  @Field(() => DecimalScalar) lotSize!: Decimal;
  @Field(() => DecimalScalar) minQuantity!: Decimal;
  @Field(() => DecimalScalar) maxQuantity!: Decimal;
  @Field(() => Int) @IsInt() @Min(0) @Max(18) pricePrecision!: number;
  @Field({ defaultValue: true }) @IsBoolean() tradable!: boolean;
  @Field(() => [VenueSymbolInput])
  @ArrayMaxSize(32)
  @ValidateNested({ each: true })
  @Type(() => VenueSymbolInput)
  venueSymbols!: VenueSymbolInput[];
}

@ObjectType()
export class InstrumentView {
  @Field(() => ID) instrumentId!: string;
  @Field() baseCurrency!: string;
  @Field() quoteCurrency!: string;
  @Field(() => DecimalScalar) tickSize!: Decimal;
  @Field(() => DecimalScalar) lotSize!: Decimal;
  @Field(() => DecimalScalar) minQuantity!: Decimal;
  @Field(() => DecimalScalar) maxQuantity!: Decimal;
  @Field(() => Int) pricePrecision!: number;
  @Field() tradable!: boolean;
  @Field(() => [VenueSymbol]) venueSymbols!: VenueSymbol[];
  @Field(() => TradingStateEnum) tradingState!: TradingState;
}

@ObjectType({ description: 'An open account and its trading state.' })
export class AccountSummary {
  @Field(() => ID) accountId!: string;
  @Field(() => TradingStateEnum) tradingState!: TradingState;
}
