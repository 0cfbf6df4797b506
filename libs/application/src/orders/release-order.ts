import {
  MarketObservation,
  Order,
  OrderTerms,
  Rejection,
  orderDecider,
  releaseLimitPrice,
  riskReferenceOf,
  venueOrderTypeOf,
} from '@oms/domain';
import { NO_STREAM, WrongExpectedVersion } from '@oms/event-store';
import { Clock, retry } from '@oms/platform';
import { HotAccounts } from '../accounts/hot-accounts';
import { AggregateStore, CONFLICT_RETRY, decideToAppend } from '../aggregates/aggregate-store';
import { KeyedQueue } from '../aggregates/keyed-queue';
import { CommandContext, metadataOf } from '../command-context';
import { ReferenceData } from '../reference/reference-data';
import { ReferencePriceSource } from '../reference/reference-prices';
import { Refusal } from '../refusal';
import { orderStream } from '../streams';
import { OrderLists } from '../lists/order-lists';
import { protectionOf } from './place-order';

export interface ReleaseOutcome {
  order: Order;
  /** Empty: released to the venues; otherwise risk's reasons, and the order was canceled. */
  rejections: Rejection[];
}

/**
 * A held order reached its trigger: pre-trade risk runs again on what it is released as (a MARKET
 * order with the protection price of the collar around the reference now, or a LIMIT order), on the
 * hot account, and the trigger with the release (or, refused, the reasons and the cancel) is appended
 * with the account's new reservation in one atomic append. An order that moved meanwhile (canceled,
 * say) is read again and decided again: it triggers once or not at all.
 */
export class ReleaseOrderProcess {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly accounts: HotAccounts,
    private readonly reference: ReferenceData,
    private readonly prices: ReferencePriceSource,
    private readonly orderQueue: KeyedQueue,
    private readonly clock: Clock,
    private readonly lists: OrderLists,
  ) {}

  async trigger(
    orderId: string,
    price: string,
    market: MarketObservation,
    ctx: CommandContext,
  ): Promise<ReleaseOutcome> {
    // A list's exit is first brought to what its list says now (a sibling's fill a moment ago shrinks
    // it, or cancels it), so it is released at the size the position needs, not the one it had.
    const { state } = await this.aggregates.load(orderDecider, orderStream(orderId));
    if (state.exists && state.terms.listId) await this.lists.reconcile(state.terms.listId, ctx);
    return this.orderQueue.run(orderId, () =>
      retry(() => this.triggerNow(orderId, price, market, ctx), {
        ...CONFLICT_RETRY,
        retryIf: (e) => e instanceof WrongExpectedVersion,
      }),
    );
  }

  private async triggerNow(
    orderId: string,
    price: string,
    market: MarketObservation,
    ctx: CommandContext,
  ): Promise<ReleaseOutcome> {
    const stream = orderStream(orderId);
    const loaded = await this.aggregates.load(orderDecider, stream);
    const now = new Date(this.clock.now());
    const command = (rejections: Rejection[], protectionPrice: string | null, reference = {}) => ({
      type: 'TriggerOrder' as const,
      data: { orderId, price, market, rejections, protectionPrice, ...reference },
      metadata: { now },
    });
    // Refused before risk is asked (not armed, not reached, ended): nothing to release.
    const lifecycle = orderDecider.decide(command([], null), loaded.state);
    if (!lifecycle.accepted) throw Refusal.of(lifecycle.rejections);
    const order = loaded.state as Order;
    const released = releasedTerms(order);
    const inputs = await this.reference.preTradeInputs(order.terms.instrumentId, this.prices, now);
    const metadata = metadataOf(ctx);
    const outcome = await this.accounts.decideJoined(
      order.terms.accountId,
      () => ({
        type: 'ReserveRelease',
        data: {
          accountId: order.terms.accountId,
          request: { order: released, filledQuantity: order.cumQty.toString(), ...inputs },
        },
        metadata: { now },
      }),
      metadata,
      true,
      {
        stream,
        expectedRevision: loaded.revision ?? NO_STREAM,
        decide: ({ rejections, state: account }) => {
          // A MARKET release is protected by the collar around the reference now.
          const protectionPrice = protectionOf(
            released,
            rejections,
            inputs.referencePrice,
            account.limits,
            inputs.instrument!,
          );
          const decided = command(rejections, protectionPrice, {
            reference: riskReferenceOf(inputs.referencePrice),
          });
          const { events, after } = decideToAppend(orderDecider, decided, loaded.state, metadata);
          return { events, value: { order: after as Order, rejections } };
        },
      },
    );
    if ('conflict' in outcome) throw outcome.conflict;
    return outcome.joined;
  }
}

/** What a held order goes to the venues as: its quantity and side, as a MARKET or LIMIT order. */
export function releasedTerms(order: Order): OrderTerms {
  const type = venueOrderTypeOf(order.terms.type);
  const { stopPrice, trailingOffset, trailingOffsetType, limitOffset, triggerType, ...plain } = order.terms;
  void [stopPrice, trailingOffset, trailingOffsetType, limitOffset, triggerType];
  return {
    ...plain,
    type,
    quantity: order.orderQty.toString(),
    limitPrice:
      type === 'LIMIT' && order.trigger?.stopPrice
        ? releaseLimitPrice(order, order.trigger.stopPrice).toString()
        : null,
  };
}
