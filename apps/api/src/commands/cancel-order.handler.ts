import { CommandSide, Refusal, metadataOf, orderStream } from '@oms/application';
import { Order, orderDecider } from '@oms/domain';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { COMMAND_SIDE } from './command-side.token';
import { CancelOrderCommand } from './commands';

/** Request a cancel: load the order, decide, append. The gateway takes it to the venues. */
@CommandHandler(CancelOrderCommand)
export class CancelOrderHandler implements ICommandHandler<CancelOrderCommand, Order> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ orderId, reason, ctx }: CancelOrderCommand): Promise<Order> {
    return this.side.orderQueue.run(orderId, async () => {
      const stream = orderStream(orderId);
      const loaded = await this.side.aggregates.load(orderDecider, stream);
      // The account is known once the order is: a client may cancel only on accounts it may.
      if (ctx.principal && loaded.state.exists) {
        this.side.access.requireOnOrder(ctx.principal, 'cancel', orderId, loaded.state.terms.accountId);
      }
      const outcome = await this.side.aggregates.execute(
        orderDecider,
        stream,
        {
          type: 'RequestCancel',
          data: { orderId, reason: reason ?? undefined },
          metadata: { now: new Date(this.side.clock.now()) },
        },
        metadataOf(ctx),
        loaded,
      );
      if (!outcome.accepted) throw Refusal.of(outcome.rejections);
      return outcome.after.state as Order;
    });
  }
}
