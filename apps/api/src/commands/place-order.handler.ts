import { CommandSide, PlaceOrderOutcome, Refusal } from '@oms/application';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { placeOrderSeconds, secondsSince } from '@oms/platform';
import { COMMAND_SIDE } from './command-side.token';
import { PlaceOrderCommand } from './commands';

/**
 * Place an order: the place-order process decides pre-trade risk on the hot account and records the
 * order (accepted, or rejected with every failed check). Timed by outcome.
 */
@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand, PlaceOrderOutcome> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ request, ctx }: PlaceOrderCommand): Promise<PlaceOrderOutcome> {
    const started = performance.now();
    let outcome = 'failed';
    try {
      const placed = await this.side.placeOrders.place(request, ctx);
      outcome = placed.accepted ? 'accepted' : 'rejected';
      return placed;
    } catch (error) {
      if (error instanceof Refusal) outcome = 'refused';
      throw error;
    } finally {
      placeOrderSeconds.observe({ outcome }, secondsSince(started));
    }
  }
}
