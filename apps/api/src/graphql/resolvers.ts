import {
  AccountState,
  Decimal,
  Order as DomainOrder,
  HaltLevel,
  RiskLimitsData,
  Side,
  haltLevel,
  readableAccounts,
} from '@oms/domain';
import { PlaceOrderOutcome, Refusal, typedFieldsOf } from '@oms/application';
import { OrderUpdate } from '@oms/read-models';
import { Inject } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { PubSub } from 'graphql-subscriptions';
import {
  CancelAllOrdersCommand,
  CancelOrderCommand,
  HaltScope,
  HaltTradingCommand,
  PlaceOrderCommand,
  ReplaceOrderCommand,
  ResumeTradingCommand,
  SetRiskLimitsCommand,
} from '../commands';
import { API_DEPS, ApiDeps } from './api-deps';
import { HaltLevelEnum, HaltScopeEnum, OrderStatusEnum, SideEnum } from './enums';
import { DateTimeScalar, DecimalScalar } from './scalars';
import {
  AuditAnchor,
  AuditEventConnection,
  AuditFilter,
  AuditVerification,
  Order,
  OrderConnection,
  OrderEvent,
  Pnl,
  PlaceOrderInput,
  PlaceOrderResult,
  Position,
  RiskLimits,
  RiskLimitsInput,
  TradingStateView,
  VenueStatus,
} from './types';
import { OmsQueries, orderView } from './views';
import { boundedText } from './limits';
import { Identity, RequestContext, commandContext } from './identity';

const MAX_PAGE = 500;

/** Risk limits as the API takes them, as the domain keeps them. */
export function riskLimitsData(limits: RiskLimitsInput): RiskLimitsData {
  return {
    maxOrderQuantity: limits.maxOrderQuantity.toString(),
    maxOrderNotional: limits.maxOrderNotional.toString(),
    maxPosition: limits.maxPosition.toString(),
    positionLimits: Object.fromEntries(
      (limits.positionLimits ?? []).map((l) => [l.instrumentId, l.maxPosition.toString()]),
    ),
    maxOpenNotional: limits.maxOpenNotional.toString(),
    priceCollarPercent: limits.priceCollarPercent.toString(),
    staleReferenceAfterMs: limits.staleReferenceAfterMs,
    maxOrdersPerWindow: limits.maxOrdersPerWindow,
    orderRateWindowMs: limits.orderRateWindowMs,
    maxDailyLoss: limits.maxDailyLoss.toString(),
    reduceOnly: limits.reduceOnly,
    allowedInstruments: limits.allowedInstruments ?? null,
  };
}

@Resolver()
export class OmsResolver {
  private readonly pubsub = new PubSub<{ order: OrderUpdate }>();

  constructor(
    private readonly commands: CommandBus,
    @Inject(API_DEPS) private readonly deps: ApiDeps,
    private readonly queries: OmsQueries,
    private readonly identity: Identity,
  ) {
    deps.orderUpdates.on('order', (update: OrderUpdate) => void this.pubsub.publish('order', update));
  }

  @Mutation(() => PlaceOrderResult, {
    description:
      'Place an order. Repeating the same clientOrderId with the same terms returns the same result.',
  })
  async placeOrder(
    @Args('input') input: PlaceOrderInput,
    @Context() context: RequestContext,
  ): Promise<PlaceOrderResult> {
    this.identity.require(context, 'trade', input.accountId);
    const outcome = await this.commands.execute<PlaceOrderCommand, PlaceOrderOutcome>(
      new PlaceOrderCommand(
        {
          accountId: input.accountId,
          clientOrderId: input.clientOrderId,
          instrumentId: input.instrumentId,
          side: input.side,
          quantity: input.quantity,
          timeInForce: input.timeInForce,
          venueId: input.venueId ?? null,
          expireAt: input.expireAt ? input.expireAt.toISOString() : null,
          // The type and the fields that depend on it, as the place-order process reads them.
          ...typedFieldsOf({ ...input, limitPrice: input.limitPrice ?? null }),
        },
        commandContext(context),
      ),
    );
    return { accepted: outcome.accepted, order: orderView(outcome.order), rejections: outcome.rejections };
  }

  @Mutation(() => Order, {
    description: 'Request a cancel; the order is PENDING_CANCEL until the venue answers.',
  })
  async cancelOrder(
    @Args('orderId', { type: () => ID }) orderId: string,
    @Args('reason', { type: () => String, nullable: true }) reason: string | null,
    @Context() context: RequestContext,
  ): Promise<Order> {
    return orderView(
      await this.commands.execute<CancelOrderCommand, DomainOrder>(
        new CancelOrderCommand(
          orderId,
          reason === null || reason === undefined ? null : boundedText('A cancel reason', reason, 500),
          commandContext(context),
        ),
      ),
    );
  }

  @Mutation(() => Order, {
    description: 'Request a new quantity and/or limit price; pre-trade risk runs again.',
  })
  async replaceOrder(
    @Args('orderId', { type: () => ID }) orderId: string,
    @Args('quantity', { type: () => DecimalScalar, nullable: true }) quantity: Decimal | null,
    @Args('limitPrice', { type: () => DecimalScalar, nullable: true }) limitPrice: Decimal | null,
    @Args('stopPrice', {
      type: () => DecimalScalar,
      nullable: true,
      description:
        'A new trigger price for a stop or if-touched order the OMS holds (moving a stop-loss); it takes effect at once.',
    })
    stopPrice: Decimal | null,
    @Context() context: RequestContext,
  ): Promise<Order> {
    return orderView(
      await this.commands.execute<ReplaceOrderCommand, DomainOrder>(
        new ReplaceOrderCommand(
          orderId,
          quantity ?? null,
          limitPrice ?? null,
          commandContext(context),
          stopPrice ?? null,
        ),
      ),
    );
  }

  @Mutation(() => RiskLimits)
  async setRiskLimits(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('limits') limits: RiskLimitsInput,
    @Context() context: RequestContext,
  ): Promise<RiskLimits> {
    this.identity.require(context, 'manage-risk');
    const state = await this.commands.execute<SetRiskLimitsCommand, AccountState>(
      new SetRiskLimitsCommand(accountId, riskLimitsData(limits), commandContext(context), true),
    );
    return {
      accountId,
      ...limits,
      positionLimits: limits.positionLimits ?? [],
      allowedInstruments: limits.allowedInstruments ?? null,
      halted: state.halt !== null,
      haltReason: state.halt?.reason ?? null,
      tradingState: haltLevel(state.halt),
    };
  }

  @Mutation(() => Boolean, {
    description:
      'Kill switch at a scope. HALTED lets only cancels through; REDUCING also orders that shrink a position. ' +
      'With cancelWorking (the default) the working orders the halt forbids are canceled, the halt as their cause.',
  })
  async haltTrading(
    @Args('scope', { type: () => HaltScopeEnum }) scope: HaltScope,
    @Args('id', { type: () => ID, nullable: true }) id: string | null,
    @Args('reason') reason: string,
    @Context() context: RequestContext,
    @Args('state', { type: () => HaltLevelEnum, defaultValue: 'HALTED' }) state: HaltLevel,
    @Args('cancelWorking', { defaultValue: true }) cancelWorking: boolean,
  ): Promise<boolean> {
    this.identity.require(context, 'manage-risk');
    const why = boundedText('A halt reason', reason, 500, 3);
    await this.commands.execute(
      new HaltTradingCommand(scope, id ?? null, why, commandContext(context), state, cancelWorking),
    );
    return true;
  }

  @Mutation(() => Int, {
    description:
      'Cancel every working order of an account (of one instrument, of one side, when given). Answers how many cancels were asked.',
  })
  async cancelAllOrders(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Context() context: RequestContext,
    @Args('instrumentId', { type: () => ID, nullable: true }) instrumentId: string | null,
    @Args('side', { type: () => SideEnum, nullable: true }) side: Side | null,
  ): Promise<number> {
    this.identity.require(context, 'cancel', accountId);
    return this.commands.execute(
      new CancelAllOrdersCommand(accountId, instrumentId ?? null, side ?? null, commandContext(context)),
    );
  }

  @Query(() => AuditEventConnection, {
    description:
      'The log searched by actor, account (its orders included), order, event type and time; oldest first.',
  })
  auditTrail(
    @Args('filter', { type: () => AuditFilter, nullable: true }) filter: AuditFilter | null,
    @Args('first', { type: () => Int, defaultValue: 100 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Context() context: RequestContext,
  ): Promise<AuditEventConnection> {
    this.identity.require(context, 'audit');
    if (first < 1 || first > MAX_PAGE)
      throw new Refusal('INVALID_PAGE_SIZE', `first must be 1 to ${MAX_PAGE}.`);
    return this.queries.auditTrail(filter ?? {}, first, after ?? null);
  }

  @Query(() => AuditVerification, {
    description:
      'Recomputes the hash chain over the whole event log and says where it first breaks (altered, deleted, inserted, reordered).',
  })
  auditVerification(
    @Args('anchorCount', {
      type: () => Int,
      nullable: true,
      description: 'With anchorHash: the head kept elsewhere.',
    })
    anchorCount: number | null,
    @Args('anchorHash', { type: () => String, nullable: true }) anchorHash: string | null,
    @Context() context: RequestContext,
  ): Promise<AuditVerification> {
    this.identity.require(context, 'audit');
    if (
      (anchorCount === null || anchorCount === undefined) !==
      (anchorHash === null || anchorHash === undefined)
    ) {
      throw new Refusal('INVALID_ANCHOR', 'An anchor is anchorCount and anchorHash together.');
    }
    if (anchorCount !== null && anchorCount !== undefined && anchorCount < 1) {
      throw new Refusal(
        'INVALID_ANCHOR',
        'anchorCount is the number of events chained, 1 or more, as auditAnchor gives it.',
      );
    }
    if (anchorHash && !/^[0-9a-f]{64}$/.test(anchorHash)) {
      throw new Refusal('INVALID_ANCHOR', 'anchorHash is 64 hexadecimal digits, as auditAnchor gives it.');
    }
    return this.queries.auditVerification(
      anchorHash ? { count: anchorCount as number, hash: anchorHash } : null,
    );
  }

  @Query(() => AuditAnchor, {
    nullable: true,
    description: 'The head of the audit chain, to keep elsewhere.',
  })
  auditAnchor(@Context() context: RequestContext): Promise<AuditAnchor | null> {
    this.identity.require(context, 'audit');
    return this.queries.auditAnchor();
  }

  @Query(() => TradingStateView, {
    description:
      'Trading at a scope (ACTIVE, REDUCING or HALTED) with every halt and resume: reason, actor, time.',
  })
  tradingState(
    @Args('scope', { type: () => HaltScopeEnum }) scope: HaltScope,
    @Args('id', { type: () => ID, nullable: true }) id: string | null,
    @Context() context: RequestContext,
  ): Promise<TradingStateView> {
    // Global and instrument halts are every trader's business; an account's, its readers'.
    if (scope === 'ACCOUNT' && id) this.identity.require(context, 'read', id);
    if (scope !== 'GLOBAL' && !id) throw new Refusal('ID_REQUIRED', `A ${scope} trading state needs an id.`);
    return this.queries.tradingState(scope, id ?? null);
  }

  @Mutation(() => Boolean)
  async resumeTrading(
    @Args('scope', { type: () => HaltScopeEnum }) scope: HaltScope,
    @Args('id', { type: () => ID, nullable: true }) id: string | null,
    @Context() context: RequestContext,
  ): Promise<boolean> {
    this.identity.require(context, 'manage-risk');
    await this.commands.execute(new ResumeTradingCommand(scope, id ?? null, commandContext(context)));
    return true;
  }

  @Mutation(() => Boolean, {
    description: 'Does nothing: measures the API’s own cost per mutation (probes, benchmarks).',
  })
  ping(): boolean {
    return true;
  }

  @Query(() => [VenueStatus], {
    description: 'Venues: connection, circuit breaker, rate-limit use, last error.',
  })
  venues(@Context() context: RequestContext): VenueStatus[] {
    this.identity.require(context, 'market-data');
    return this.deps.venues().map((venue) => ({
      ...venue,
      reportedAt: new Date(venue.reportedAt),
      session: venue.session && {
        ...venue.session,
        lastHeardAt: venue.session.lastHeardAt === null ? null : new Date(venue.session.lastHeardAt),
      },
    }));
  }

  @Query(() => Order, { nullable: true })
  async order(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: RequestContext,
  ): Promise<Order | null> {
    const order = await this.queries.order(id);
    return order && this.identity.mayReadOrder(context, order.accountId) ? order : null;
  }

  @Query(() => OrderConnection, { description: 'Newest first.' })
  orders(
    @Args('accountId', { type: () => ID, nullable: true }) accountId: string | null,
    @Args('status', { type: () => [OrderStatusEnum], nullable: true }) status: string[] | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Context() context: RequestContext,
  ): Promise<OrderConnection> {
    if (first < 1 || first > MAX_PAGE)
      throw new Refusal('INVALID_PAGE_SIZE', `first must be between 1 and ${MAX_PAGE}.`);
    if (accountId) this.identity.require(context, 'read', accountId);
    // Without an account: every account the caller may read, and no other.
    const accounts = accountId ? [accountId] : readableAccounts(context.principal);
    return this.queries.orders({ accounts, status, first, after });
  }

  @Query(() => [Position])
  positions(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Context() context: RequestContext,
  ): Promise<Position[]> {
    this.identity.require(context, 'read', accountId);
    return this.queries.positions(accountId);
  }

  @Query(() => Pnl)
  pnl(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Context() context: RequestContext,
  ): Promise<Pnl> {
    this.identity.require(context, 'read', accountId);
    return this.queries.pnl(accountId);
  }

  @Query(() => RiskLimits, { nullable: true })
  riskLimits(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Context() context: RequestContext,
  ): Promise<RiskLimits | null> {
    this.identity.require(context, 'read', accountId);
    return this.queries.riskLimits(accountId);
  }

  @Query(() => [OrderEvent], {
    description:
      'The events of the order from the event store, oldest first: what happened, when, who and why. A page at a time: the next starts at the last revision + 1.',
  })
  async orderHistory(
    @Args('orderId', { type: () => ID }) orderId: string,
    @Context() context: RequestContext,
    @Args('fromRevision', { type: () => Int, defaultValue: 0, description: 'The first revision to answer.' })
    fromRevision: number,
    @Args('first', { type: () => Int, defaultValue: MAX_PAGE, description: `At most ${MAX_PAGE} events.` })
    first: number,
  ): Promise<OrderEvent[]> {
    if (first < 1 || first > MAX_PAGE)
      throw new Refusal('INVALID_PAGE_SIZE', `first must be between 1 and ${MAX_PAGE}.`);
    if (fromRevision < 0) throw new Refusal('REVISION_NOT_FOUND', 'fromRevision is 0 or more.');
    if (!(await this.orderReadable(context, orderId))) {
      throw new Refusal('ORDER_NOT_FOUND', `Order ${orderId} does not exist.`);
    }
    // Past the last revision: an empty page.
    return this.queries.orderHistory(orderId, fromRevision, first);
  }

  @Query(() => Order, {
    nullable: true,
    description: 'The order rebuilt from its events up to a revision and/or an instant.',
  })
  async orderAsOf(
    @Args('orderId', { type: () => ID }) orderId: string,
    @Args('revision', { type: () => Int, nullable: true }) revision: number | null,
    @Args('at', { type: () => DateTimeScalar, nullable: true }) at: Date | null,
    @Context() context: RequestContext,
  ): Promise<Order | null> {
    if (!(await this.orderReadable(context, orderId))) return null;
    return this.queries.orderAsOf(orderId, revision ?? null, at ?? null);
  }

  @Subscription(() => Order, {
    description: 'Orders of an account as the projector records their changes.',
    // Each update goes only to a subscriber whose key and grant still allow it.
    filter(
      this: OmsResolver,
      update: OrderUpdate,
      variables: { accountId: string },
      context: RequestContext,
    ) {
      return (
        update.accountId === variables.accountId &&
        this.identity.stillPermits(context, 'read', variables.accountId)
      );
    },
    resolve(this: OmsResolver, update: OrderUpdate) {
      return this.queries.order(update.orderId);
    },
  })
  orderUpdated(@Args('accountId', { type: () => ID }) accountId: string, @Context() context: RequestContext) {
    this.identity.require(context, 'read', accountId);
    return this.pubsub.asyncIterableIterator('order');
  }

  /**
   * Whether the order exists and its account is the caller's to read: order ids derive from the account
   * and the client order id, so another account's order answers as an absent one would.
   */
  private async orderReadable(context: RequestContext, orderId: string): Promise<boolean> {
    const order = await this.queries.order(orderId);
    return order !== null && this.identity.mayReadOrder(context, order.accountId);
  }
}
