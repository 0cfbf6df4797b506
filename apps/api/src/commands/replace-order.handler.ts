import { CommandSide, Refusal, metadataOf, orderStream } from '@oms/application';
import { Order, orderDecider } from '@oms/domain';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { COMMAND_SIDE } from './command-side.token';
import { ReplaceOrderCommand } from './commands';

/**
 * Request a replace: the order decides whether it can be replaced; pre-trade risk runs again with the
 * new terms on the hot account; the request (or, refused by risk, `OrderReplaceRefused` with every
 * failed check) is appended. The gateway takes an accepted request to the venues.
 */
@CommandHandler(ReplaceOrderCommand)
export class ReplaceOrderHandler implements ICommandHandler<ReplaceOrderCommand, Order> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ orderId, quantity, limitPrice, ctx }: ReplaceOrderCommand): Promise<Order> {
    const { aggregates, accounts, reference, prices, clock } = this.side;
    return this.side.orderQueue.run(orderId, async () => {
      const stream = orderStream(orderId);
      const loaded = await aggregates.load(orderDecider, stream);
      if (ctx.principal && loaded.state.exists) {
        this.side.access.requireOnOrder(ctx.principal, 'trade', orderId, loaded.state.terms.accountId);
      }
      const now = new Date(clock.now());
      const command = {
        type: 'RequestReplace' as const,
        data: { orderId, quantity: quantity?.toString() ?? null, limitPrice: limitPrice?.toString() ?? null },
        metadata: { now },
      };
      const lifecycle = orderDecider.decide(command, loaded.state);
      if (!lifecycle.accepted) throw Refusal.of(lifecycle.rejections);
      const order = loaded.state as Order;
      const requested = lifecycle.events[0];
      if (requested?.type !== 'OrderReplaceRequested') throw new Error('replace produced no request');
      const market = await reference.preTradeInputs(order.terms.instrumentId, prices, now);
      const { rejections } = await accounts.decide(
        order.terms.accountId,
        () => ({
          type: 'ReserveReplacement',
          data: {
            accountId: order.terms.accountId,
            request: {
              // Size limits judge the new total; exposure is held for what is left after the fills.
              order: {
                ...order.terms,
                quantity: requested.data.quantity,
                limitPrice: requested.data.limitPrice,
              },
              filledQuantity: order.cumQty.toString(),
              ...market,
            },
          },
          metadata: { now },
        }),
        metadataOf(ctx),
        true,
      );
      // A refusal is recorded on the order too (OrderReplaceRefused), then answered as an error.
      const outcome = await aggregates.execute(
        orderDecider,
        stream,
        { ...command, data: { ...command.data, rejections } },
        metadataOf(ctx),
        loaded,
      );
      if (!outcome.accepted) throw Refusal.of(outcome.rejections);
      if (rejections.length > 0) throw Refusal.of(rejections);
      return outcome.after.state as Order;
    });
  }
}
