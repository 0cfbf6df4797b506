import {
  CONFLICT_RETRY,
  CommandSide,
  Refusal,
  metadataOf,
  decideToAppend,
  orderStream,
  protectionOf,
} from '@oms/application';
import { Decimal, Order, orderDecider, workingTermsOf } from '@oms/domain';
import { NO_STREAM, WrongExpectedVersion } from '@oms/event-store';
import { retry } from '@oms/platform';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { COMMAND_SIDE } from './command-side.token';
import { ReplaceOrderCommand } from './commands';

/**
 * Request a replace: the order decides whether it can be replaced; pre-trade risk runs again with the
 * new terms on the hot account; the reservation for the new terms and the request (or, refused by risk,
 * `OrderReplaceRefused` with every failed check) are appended in one atomic append. An order that moved
 * meanwhile (a fill) is read again and the whole request decided again. The gateway takes an accepted
 * request to the venues.
 */
@CommandHandler(ReplaceOrderCommand)
export class ReplaceOrderHandler implements ICommandHandler<ReplaceOrderCommand, Order> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ orderId, quantity, limitPrice, stopPrice, ctx }: ReplaceOrderCommand): Promise<Order> {
    return this.side.orderQueue.run(orderId, () =>
      retry(() => this.replace(orderId, quantity, limitPrice, stopPrice, ctx), {
        ...CONFLICT_RETRY,
        retryIf: (e) => e instanceof WrongExpectedVersion,
      }),
    );
  }

  private async replace(
    orderId: string,
    quantity: Decimal | null,
    limitPrice: Decimal | null,
    stopPrice: Decimal | null,
    ctx: ReplaceOrderCommand['ctx'],
  ): Promise<Order> {
    const { aggregates, accounts, reference, prices, clock } = this.side;
    const stream = orderStream(orderId);
    const loaded = await aggregates.load(orderDecider, stream);
    if (ctx.principal && loaded.state.exists) {
      this.side.access.requireOnOrder(ctx.principal, 'trade', orderId, loaded.state.terms.accountId);
    }
    const now = new Date(clock.now());
    const command = {
      type: 'RequestReplace' as const,
      data: {
        orderId,
        quantity: quantity?.toString() ?? null,
        limitPrice: limitPrice?.toString() ?? null,
        stopPrice: stopPrice?.toString() ?? null,
      },
      metadata: { now },
    };
    const lifecycle = orderDecider.decide(command, loaded.state);
    if (!lifecycle.accepted) throw Refusal.of(lifecycle.rejections);
    const order = loaded.state as Order;
    const requested = lifecycle.events[0];
    if (requested?.type !== 'OrderReplaceRequested') throw new Error('replace produced no request');
    const market = await reference.preTradeInputs(order.terms.instrumentId, prices, now);
    const metadata = metadataOf(ctx);
    const outcome = await accounts.decideJoined(
      order.terms.accountId,
      () => ({
        type: 'ReserveReplacement',
        data: {
          accountId: order.terms.accountId,
          request: {
            // Size limits judge the new total; exposure is held for what is left after the fills.
            // As the order works now: a released stop is the MARKET or LIMIT order it became.
            // A moved stop is judged at its new price (a STOP's worst price is its collar edge).
            order: {
              ...workingTermsOf(order),
              quantity: requested.data.quantity,
              limitPrice: requested.data.limitPrice,
              ...(requested.data.stopPrice ? { stopPrice: requested.data.stopPrice } : {}),
            },
            filledQuantity: order.cumQty.toString(),
            ...market,
          },
        },
        metadata: { now },
      }),
      metadata,
      true,
      {
        stream,
        expectedRevision: loaded.revision ?? NO_STREAM,
        // A refusal by risk is recorded on the order too (OrderReplaceRefused), then answered as an error.
        decide: ({ rejections, state: account }) => {
          const newStop = requested.data.stopPrice;
          const protectionPrice =
            newStop && market.instrument
              ? protectionOf(
                  { ...order.terms, stopPrice: newStop },
                  rejections,
                  market.referencePrice,
                  account.limits,
                  market.instrument,
                )
              : undefined;
          const withRisk = { ...command, data: { ...command.data, rejections, protectionPrice } };
          const { events, after } = decideToAppend(orderDecider, withRisk, loaded.state, metadata);
          return { events, value: { after: after as Order, rejections } };
        },
      },
    );
    if ('conflict' in outcome) throw outcome.conflict; // the order moved: decided again as it is now
    if (outcome.joined.rejections.length > 0) throw Refusal.of(outcome.joined.rejections);
    return outcome.joined.after;
  }
}
