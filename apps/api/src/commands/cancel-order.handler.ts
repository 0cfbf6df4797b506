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
      const outcome = await this.side.aggregates.execute(
        orderDecider,
        orderStream(orderId),
        {
          type: 'RequestCancel',
          data: { orderId, reason: reason ?? undefined },
          metadata: { now: new Date(this.side.clock.now()) },
        },
        metadataOf(ctx),
      );
      if (!outcome.accepted) throw Refusal.of(outcome.rejections);
      return outcome.after.state as Order;
    });
  }
}
