import { CommandSide, PlaceOrderOutcome, Refusal, legTemplatesOf, orderStream } from '@oms/application';
import { Decimal, OrderListState, orderDecider } from '@oms/domain';
import { Inject } from '@nestjs/common';
import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { CancelOrderListCommand, PlaceOrderListCommand, ReplaceOrderListCommand } from '../commands';
import { DecimalScalar } from './scalars';
import { COMMAND_SIDE } from '../commands/command-side.token';
import { Identity, RequestContext, commandContext } from './identity';
import { boundedText } from './limits';
import { OrderList, PlaceOrderListInput, PlaceOrderListResult } from './order-lists.types';
import { orderView } from './views';

/** Contingent order lists: placed, read (each leg with its orders, from the log) and canceled as a whole. */
@Resolver()
export class OrderListResolver {
  constructor(
    private readonly commands: CommandBus,
    @Inject(COMMAND_SIDE) private readonly side: CommandSide,
    private readonly identity: Identity,
  ) {}

  @Mutation(() => PlaceOrderListResult, {
    description:
      'Place an OCO, OTO or BRACKET list. The legs that go out at once are placed now (pre-trade risk on each); the rest as the list’s members fill. Repeating the same clientListId with the same legs returns the same list.',
  })
  async placeOrderList(
    @Args('input') input: PlaceOrderListInput,
    @Context() context: RequestContext,
  ): Promise<PlaceOrderListResult> {
    this.identity.require(context, 'trade', input.accountId);
    const legs = legTemplatesOf(
      input.contingency,
      input.legs.map((leg) => ({
        ...leg,
        quantity: leg.quantity ?? null,
        limitPrice: leg.limitPrice ?? null,
        venueId: leg.venueId ?? null,
        expireAt: leg.expireAt ? leg.expireAt.toISOString() : null,
      })),
    );
    const { list, legs: outcomes } = await this.commands.execute<
      PlaceOrderListCommand,
      { list: OrderListState; legs: Map<string, PlaceOrderOutcome> }
    >(
      new PlaceOrderListCommand(
        {
          accountId: input.accountId,
          clientListId: input.clientListId,
          contingency: input.contingency,
          legs,
        },
        commandContext(context),
      ),
    );
    return {
      list: await this.view(list),
      rejections: [...outcomes.values()].flatMap((o) => o.rejections),
    };
  }

  @Mutation(() => OrderList, {
    description: 'Cancel the whole list: every working member, and nothing more placed.',
  })
  async cancelOrderList(
    @Args('listId', { type: () => ID }) listId: string,
    @Context() context: RequestContext,
    @Args('reason', { type: () => String, nullable: true }) reason: string | null,
  ): Promise<OrderList> {
    const why =
      reason === null || reason === undefined
        ? 'requested by client'
        : boundedText('A cancel reason', reason, 500);
    const list = await this.commands.execute<CancelOrderListCommand, OrderListState>(
      new CancelOrderListCommand(listId, why, commandContext(context)),
    );
    return this.view(list);
  }

  @Mutation(() => OrderList, {
    description:
      'A new quantity for the whole list: a bracket’s entry (its exits follow what it fills), an OTO’s primary, or every OCO member; each a replace, with pre-trade risk.',
  })
  async replaceOrderList(
    @Args('listId', { type: () => ID }) listId: string,
    @Args('quantity', { type: () => DecimalScalar }) quantity: Decimal,
    @Context() context: RequestContext,
  ): Promise<OrderList> {
    const list = await this.commands.execute<ReplaceOrderListCommand, OrderListState>(
      new ReplaceOrderListCommand(listId, quantity, commandContext(context)),
    );
    return this.view(list);
  }

  @Query(() => OrderList, {
    nullable: true,
    description: 'A list, each leg with its orders as the log has them now.',
  })
  async orderList(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: RequestContext,
  ): Promise<OrderList | null> {
    const list = await this.side.orderLists.load(id);
    if (!list.exists || !this.identity.mayReadOrder(context, list.accountId)) return null;
    return this.view(list);
  }

  private async view(list: OrderListState): Promise<OrderList> {
    if (!list.exists) throw new Refusal('ORDER_LIST_NOT_FOUND', 'The order list does not exist.');
    const legs = [];
    for (const leg of Object.values(list.legs)) {
      const orders = [];
      for (const placed of leg.placed) {
        const { state } = await this.side.aggregates.load(orderDecider, orderStream(placed.orderId));
        if (state.exists) orders.push(orderView(state));
      }
      legs.push({ key: leg.template.key, role: leg.template.role, orders });
    }
    return {
      id: list.listId,
      accountId: list.accountId,
      clientListId: list.clientListId,
      contingency: list.contingency,
      status: list.ended ? 'ENDED' : list.cancelRequested ? 'CANCELING' : 'ACTIVE',
      legs,
    };
  }
}
