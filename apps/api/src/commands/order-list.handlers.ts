import { CommandSide, OrderListEffectsPort, PlaceOrderOutcome, Refusal } from '@oms/application';
import { Decimal, Order, OrderListState } from '@oms/domain';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { COMMAND_SIDE } from './command-side.token';
import {
  CancelOrderCommand,
  CancelOrderListCommand,
  PlaceOrderCommand,
  PlaceOrderListCommand,
  ReplaceOrderCommand,
  ReplaceOrderListCommand,
} from './commands';

/** Place a contingent list: the list, then the legs that go out at once (each through pre-trade risk). */
@CommandHandler(PlaceOrderListCommand)
export class PlaceOrderListHandler implements ICommandHandler<
  PlaceOrderListCommand,
  { list: OrderListState; legs: Map<string, PlaceOrderOutcome> }
> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ request, ctx }: PlaceOrderListCommand) {
    return this.side.orderLists.place(request, ctx);
  }
}

/** Cancel a list: every working member is canceled and nothing more is placed. */
@CommandHandler(CancelOrderListCommand)
export class CancelOrderListHandler implements ICommandHandler<CancelOrderListCommand, OrderListState> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ listId, reason, ctx }: CancelOrderListCommand): Promise<OrderListState> {
    const list = await this.side.orderLists.load(listId);
    if (!list.exists) throw new Refusal('ORDER_LIST_NOT_FOUND', `Order list ${listId} does not exist.`);
    if (ctx.principal) {
      // Another account's list answers as an absent one would.
      if (!this.side.access.allows(ctx.principal, 'read', list.accountId)) {
        throw new Refusal('ORDER_LIST_NOT_FOUND', `Order list ${listId} does not exist.`);
      }
      this.side.access.require(ctx.principal, 'cancel', list.accountId);
    }
    return this.side.orderLists.cancel(listId, reason, ctx);
  }
}

/** Replace a whole list: its size (a bracket's entry, an OTO's primary, every OCO member). */
@CommandHandler(ReplaceOrderListCommand)
export class ReplaceOrderListHandler implements ICommandHandler<ReplaceOrderListCommand, OrderListState> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ listId, quantity, ctx }: ReplaceOrderListCommand): Promise<OrderListState> {
    const list = await this.side.orderLists.load(listId);
    if (!list.exists || (ctx.principal && !this.side.access.allows(ctx.principal, 'read', list.accountId))) {
      throw new Refusal('ORDER_LIST_NOT_FOUND', `Order list ${listId} does not exist.`);
    }
    if (ctx.principal) this.side.access.require(ctx.principal, 'trade', list.accountId);
    return this.side.orderLists.replace(listId, quantity, ctx);
  }
}

/** The lists' decisions go through the same commands a client's do (risk, idempotency, audit). */
@Injectable()
export class OrderListEffects implements OnModuleInit, OrderListEffectsPort {
  constructor(
    @Inject(COMMAND_SIDE) private readonly side: CommandSide,
    private readonly commands: CommandBus,
  ) {}

  onModuleInit(): void {
    this.side.orderLists.connect(this);
  }

  place(...[request, ctx]: Parameters<OrderListEffectsPort['place']>): Promise<PlaceOrderOutcome> {
    return this.commands.execute(new PlaceOrderCommand(request, ctx));
  }

  cancel(...[orderId, reason, ctx]: Parameters<OrderListEffectsPort['cancel']>): Promise<Order> {
    return this.commands.execute(new CancelOrderCommand(orderId, reason, ctx));
  }

  replace(...[orderId, quantity, ctx]: Parameters<OrderListEffectsPort['replace']>): Promise<Order> {
    return this.commands.execute(new ReplaceOrderCommand(orderId, quantity as Decimal, null, ctx));
  }
}
