import {
  AccountCommand,
  AccountEvent,
  AccountState,
  OrderTerms,
  bookedFillsOf,
  orderDecider,
} from '@oms/domain';
import { EventStore, positionKey } from '@oms/event-store';
import { Clock } from '@oms/platform';
import { AggregateStore } from '../aggregates/aggregate-store';
import { metadataOf } from '../command-context';
import { Processor, ProcessorDeps } from '../processing/processor';
import { Recorded } from '../recorded';
import { accountStream, orderIdOf, orderStream } from '../streams';
import { ReferenceData } from '../reference/reference-data';
import { ReferencePriceSource } from '../reference/reference-prices';
import { HotAccounts } from './hot-accounts';

const RELEASING = ['OrderCanceled', 'OrderExpired', 'OrderRejectedByVenue'] as const;
/** A replace ended, or the venue restated the order: the reservation follows what works there now. */
const REPLACE_ENDED = ['OrderReplaced', 'OrderReplaceRejected', 'OrderRestated'] as const;
/** A venue busted or corrected an execution: the books are restated. */
const RESTATING = ['TradeBusted', 'TradeCorrected'] as const;
const LEDGER_EVENTS = ['OrderFilled', ...RELEASING, ...REPLACE_ENDED, ...RESTATING] as const;
type LedgerEventType = (typeof LEDGER_EVENTS)[number];

/**
 * The account ledger: a processor over order events that books fills into the account (positions,
 * P&L, the post-trade loss limit), releases exposure when an order stops working, and sets an
 * order's reservation to its open quantity and price once a replace has ended (taken, partly taken,
 * or refused by the venue: pre-trade risk reserved for the requested terms), and restates the books
 * when a venue busts or corrects an execution.
 * Idempotent: each account command carries the event's log position, and the account ignores anything
 * at or below the last one it applied, so redelivery after a crash changes nothing.
 */
export class AccountLedger {
  readonly processor: Processor<LedgerEventType>;
  private readonly terms = new Map<string, OrderTerms>();
  private lossChecksScheduled = false;

  constructor(
    private readonly store: EventStore,
    private readonly aggregates: AggregateStore,
    private readonly accounts: HotAccounts,
    /** Instruments: a fee in the quote currency is in P&L, one in any other currency is kept apart. */
    private readonly reference: ReferenceData,
    /** Marks for the loss limit's unrealised P&L. */
    private readonly prices: ReferencePriceSource,
    private readonly clock: Clock,
    deps: Omit<ProcessorDeps, 'store' | 'clock'>,
    /** How often the loss limit is judged at the marks without a fill (0: never). */
    private readonly lossCheckMs = 1_000,
  ) {
    this.processor = new Processor(
      {
        name: 'account-ledger',
        canHandle: LEDGER_EVENTS,
        handle: async (events) => {
          for (const event of events) await this.handle(event);
        },
        onActive: async () => this.scheduleLossChecks(),
      },
      { ...deps, store, clock },
    );
  }

  private async handle(recorded: Recorded<LedgerEventType>): Promise<void> {
    const orderId = orderIdOf(recorded.streamName);
    const terms = await this.orderTerms(orderId);
    if (!terms) return;
    const sourceSequence = positionKey(recorded.position);
    const now = new Date(this.clock.now());
    let command: AccountCommand;
    if (recorded.type === 'OrderFilled') {
      const d = recorded.data;
      command = {
        type: 'BookFill',
        data: {
          accountId: terms.accountId,
          orderId,
          execId: d.execId,
          instrumentId: terms.instrumentId,
          side: terms.side,
          quantity: d.quantity,
          price: d.price,
          fee: d.fee,
          feeCurrency: this.foreignFeeCurrency(terms.instrumentId, d.feeCurrency),
          executedAt: d.executedAt,
          sourceSequence,
        },
        metadata: { now },
      };
    } else if (recorded.type === 'TradeBusted' || recorded.type === 'TradeCorrected') {
      const d = recorded.data;
      // Average cost depends on the order of trades: the account replays the instrument's bookings.
      const booked = await this.store.readStream(accountStream(terms.accountId));
      command = {
        type: 'RestateFill',
        data: {
          accountId: terms.accountId,
          orderId,
          execId: d.execId,
          instrumentId: terms.instrumentId,
          corrected:
            recorded.type === 'TradeCorrected'
              ? { quantity: recorded.data.quantity, price: recorded.data.price }
              : null,
          reason: d.reason,
          bookedFills: bookedFillsOf(
            booked.map((e) => ({ type: e.type, data: e.data }) as AccountEvent),
            terms.instrumentId,
          ),
          sourceSequence,
        },
        metadata: { now },
      };
    } else if (
      recorded.type === 'OrderReplaced' ||
      recorded.type === 'OrderReplaceRejected' ||
      recorded.type === 'OrderRestated'
    ) {
      // The order as this event left it: its open quantity and limit price are what the venue works.
      const { state: order } = await this.aggregates.load(orderDecider, orderStream(orderId), undefined, {
        toRevision: recorded.revision,
      });
      if (!order.exists) return;
      command = order.leavesQty.isZero()
        ? // Nothing is left to work (a reduction done at what filled): nothing stays reserved.
          {
            type: 'ReleaseExposure',
            data: { accountId: terms.accountId, orderId, reason: recorded.type, sourceSequence },
            metadata: { now },
          }
        : {
            type: 'AdjustReservation',
            data: {
              accountId: terms.accountId,
              orderId,
              quantity: order.leavesQty.toString(),
              price: order.limitPrice?.toString() ?? null,
              reason: recorded.type,
              sourceSequence,
            },
            metadata: { now },
          };
    } else {
      command = {
        type: 'ReleaseExposure',
        data: { accountId: terms.accountId, orderId, reason: recorded.type, sourceSequence },
        metadata: { now },
      };
    }
    const ctx = {
      actor: 'system:account-ledger',
      correlationId: recorded.metadata.correlationId,
      causationId: recorded.eventId,
    };
    // A fact to book, never refused by a limit: what the decider refuses is malformed input.
    // A fill is judged against the loss limit with every position the account holds at its mark.
    const withMarks = (account: AccountState): AccountCommand =>
      command.type === 'BookFill'
        ? { ...command, data: { ...command.data, marks: this.marks(account) } }
        : command;
    const outcome = await this.accounts.decide(terms.accountId, withMarks, metadataOf(ctx), false);
    if (outcome.rejections.length > 0) {
      throw new Error(
        `the ledger could not book ${recorded.type} of order ${orderId}: ${outcome.rejections[0].message}`,
      );
    }
    // An order that stopped working needs no terms here again (a late fill reads them once more).
    if (recorded.type !== 'OrderFilled' || recorded.data.leavesQty === '0') this.terms.delete(orderId);
  }

  /**
   * The loss limit at the marks now, for every account this process holds that has positions and
   * trades: a market moving against them breaches it without a fill. Run every `lossCheckMs` while
   * this ledger is the active one.
   */
  async checkLossLimits(): Promise<void> {
    for (const [accountId, loaded] of this.accounts.held()) {
      const account = loaded.state;
      if (!account.limits || account.halt || account.positions.size === 0) continue;
      await this.accounts.decide(
        accountId,
        (current) => ({
          type: 'CheckLossLimit',
          data: { accountId, marks: this.marks(current) },
          metadata: { now: new Date(this.clock.now()) },
        }),
        metadataOf({ actor: 'system:account-ledger', correlationId: `loss-check-${accountId}` }),
        true,
      );
    }
  }

  private scheduleLossChecks(): void {
    if (this.lossCheckMs <= 0 || this.lossChecksScheduled) return;
    this.lossChecksScheduled = true;
    this.nextLossCheck();
  }

  private nextLossCheck(): void {
    this.clock.setTimeout(() => {
      if (this.processor.status === 'stopped') return;
      const active = this.processor.status === 'live' || this.processor.status === 'catching-up';
      void (active ? this.checkLossLimits() : Promise.resolve())
        .catch(() => undefined) // a contended account is judged again at the next round
        .finally(() => this.nextLossCheck());
    }, this.lossCheckMs);
  }

  private marks(account: AccountState): Record<string, string> {
    const marks: Record<string, string> = {};
    for (const instrumentId of account.positions.keys()) {
      const mark = this.prices.markPrice(instrumentId);
      if (mark) marks[instrumentId] = mark.toString();
    }
    return marks;
  }

  /** The fee's currency if it is not the instrument's quote currency; null if it is (or unsaid). */
  private foreignFeeCurrency(instrumentId: string, feeCurrency: string | null | undefined): string | null {
    if (!feeCurrency) return null;
    const quote = this.reference.instrument(instrumentId).instrument?.quoteCurrency;
    return feeCurrency === quote ? null : feeCurrency;
  }

  private async orderTerms(orderId: string): Promise<OrderTerms | null> {
    const cached = this.terms.get(orderId);
    if (cached) return cached;
    const { state } = await this.aggregates.load(orderDecider, orderStream(orderId), undefined, {
      toRevision: 0n,
    });
    if (!state.exists) return null;
    this.terms.set(orderId, state.terms);
    return state.terms;
  }
}
