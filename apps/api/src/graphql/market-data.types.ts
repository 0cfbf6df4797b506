import { Decimal } from '@oms/domain';
import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { SideEnum } from './enums';
import { DateTimeScalar, DecimalScalar } from './scalars';

@ObjectType({ description: 'One price level of a book.' })
export class BookLevel {
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DecimalScalar) quantity!: Decimal;
}

@ObjectType({ description: 'One venue’s book for one instrument, best level first on each side.' })
export class Book {
  @Field(() => ID) venueId!: string;
  @Field(() => ID) instrumentId!: string;
  @Field(() => [BookLevel]) bids!: BookLevel[];
  @Field(() => [BookLevel]) asks!: BookLevel[];
  @Field(() => DateTimeScalar, { description: 'When the market showed this book (exchange time).' })
  marketTime!: Date;
  @Field(() => DateTimeScalar, { description: 'When the OMS received it.' })
  receivedAt!: Date;
}

@ObjectType({ description: 'What one venue shows at a price.' })
export class VenueQuantity {
  @Field(() => ID) venueId!: string;
  @Field(() => DecimalScalar) quantity!: Decimal;
}

@ObjectType({ description: 'A price level across venues: the total and the venues that make it up.' })
export class ConsolidatedLevel {
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => [VenueQuantity], { description: 'Largest first.' }) venues!: VenueQuantity[];
}

@ObjectType({ description: 'Every venue’s book for one instrument, merged by price.' })
export class ConsolidatedBook {
  @Field(() => ID) instrumentId!: string;
  @Field(() => [ConsolidatedLevel]) bids!: ConsolidatedLevel[];
  @Field(() => [ConsolidatedLevel]) asks!: ConsolidatedLevel[];
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'The latest market time among the venues’ books; null with no book.',
  })
  marketTime!: Date | null;
}

@ObjectType({ description: 'One venue’s best bid and offer.' })
export class VenueQuote {
  @Field(() => ID) venueId!: string;
  @Field(() => BookLevel, { nullable: true }) bid!: BookLevel | null;
  @Field(() => BookLevel, { nullable: true }) ask!: BookLevel | null;
  @Field(() => DateTimeScalar, { description: 'When the market showed it (exchange time).' })
  marketTime!: Date;
  @Field(() => DateTimeScalar) receivedAt!: Date;
}

@ObjectType({ description: 'Best bid or offer across venues, with the venues showing it.' })
export class ConsolidatedTop {
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => [VenueQuantity]) venues!: VenueQuantity[];
}

@ObjectType({ description: 'Best bid and offer per venue, and across venues.' })
export class Quote {
  @Field(() => ID) instrumentId!: string;
  @Field(() => [VenueQuote]) venues!: VenueQuote[];
  @Field(() => ConsolidatedTop, { nullable: true }) bid!: ConsolidatedTop | null;
  @Field(() => ConsolidatedTop, { nullable: true }) ask!: ConsolidatedTop | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Halfway between the best bid and offer.' })
  mid!: Decimal | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The latest market time among the venues.' })
  marketTime!: Date | null;
}

@ObjectType({ description: 'The price pre-trade risk judges orders against.' })
export class ReferencePriceView {
  @Field(() => ID) instrumentId!: string;
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DateTimeScalar, { description: 'When the market showed it.' }) observedAt!: Date;
  @Field(() => Float, { description: 'Milliseconds since then.' }) ageMs!: number;
  @Field(() => Int, {
    nullable: true,
    description: 'The account’s staleness limit, when an account was named.',
  })
  staleAfterMs!: number | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether risk would refuse an order of the account for its age; null without an account.',
  })
  stale!: boolean | null;
}

@ObjectType({ description: 'A trade a venue printed (anyone’s).' })
export class MarketTrade {
  @Field(() => ID) venueId!: string;
  @Field(() => ID) instrumentId!: string;
  @Field() tradeId!: string;
  @Field(() => DecimalScalar) price!: Decimal;
  @Field(() => DecimalScalar) quantity!: Decimal;
  @Field(() => SideEnum, {
    nullable: true,
    description: 'The side that took liquidity, when the venue says.',
  })
  aggressor!: 'BUY' | 'SELL' | null;
  @Field(() => DateTimeScalar) marketTime!: Date;
}

@ObjectType({ description: 'Trades printed since the subscriber’s last update, oldest first.' })
export class TradesUpdate {
  @Field(() => ID) instrumentId!: string;
  @Field(() => [MarketTrade]) trades!: MarketTrade[];
  @Field(() => Int, {
    description: 'Trades printed since the last update that are not in this one (a slow subscriber).',
  })
  skipped!: number;
}
