import {
  AccountState,
  Decimal,
  Halt,
  OrderTerms,
  Side,
  accountDecider,
  endsOrder,
  haltLevel,
  orderDecider,
  positionQuantityOf,
} from '@oms/domain';
import { DataSource } from 'typeorm';
import { AggregateStore } from '../aggregates/aggregate-store';
import { Processor, ProcessorDeps } from '../processing/processor';
import { CheckpointWrite } from '../processing/checkpoints';
import { Recorded, domainEventOf } from '../recorded';
import { ReferenceData } from '../reference/reference-data';
import { accountStream, orderIdOf, orderStream } from '../streams';

const HALT_EVENTS = [
  'GlobalTradingHalted',
  'GlobalTradingResumed',
  'InstrumentHalted',
  'InstrumentResumed',
  'TradingHalted',
  'TradingResumed',
] as const;
const ORDER_ENDS = [
  'OrderRejectedByVenue',
  'OrderCanceled',
  'OrderExpired',
  'OrderFilled',
  'OrderRestated',
  'OrderReplaced', // a reduction to what has filled ends the order
  'TradeCorrected', // a correction up to the whole quantity too
] as const;
const ENFORCER_EVENTS = [...HALT_EVENTS, 'OrderAccepted', ...ORDER_ENDS] as const;
type EnforcerEventType = (typeof ENFORCER_EVENTS)[number];

export const HALT_ENFORCER_ACTOR = 'system:halt-enforcer';

/** An order that may still be working, as far as halts are concerned. */
export interface WorkingOrder {
  orderId: string;
  accountId: string;
  instrumentId: string;
  side: Side;
}

/** What a batch changed among the working orders. */
export interface WorkingOrderChanges {
  accepted: WorkingOrder[];
  ended: string[];
}

/** The enforcer's record of the orders that may be working, moved with its checkpoint. */
export interface WorkingOrderRecord {
  load(): Promise<WorkingOrder[]>;
  write(changes: WorkingOrderChanges): CheckpointWrite | undefined;
}

/** In PostgreSQL (`hx_working_orders`), written in the enforcer's checkpoint transaction. */
export class PostgresWorkingOrders implements WorkingOrderRecord {
  constructor(private readonly dataSource: DataSource) {}

  async load(): Promise<WorkingOrder[]> {
    const rows: { order_id: string; account_id: string; instrument_id: string; side: Side }[] =
      await this.dataSource.query(
        'SELECT order_id, account_id, instrument_id, side FROM hx_working_orders ORDER BY seq',
      );
    return rows.map((r) => ({
      orderId: r.order_id,
      accountId: r.account_id,
      instrumentId: r.instrument_id,
      side: r.side,
    }));
  }

  write({ accepted, ended }: WorkingOrderChanges): CheckpointWrite | undefined {
    if (accepted.length === 0 && ended.length === 0) return undefined;
    return async (tx) => {
      for (const o of accepted) {
        await tx.query(
          `INSERT INTO hx_working_orders (order_id, account_id, instrument_id, side) VALUES ($1,$2,$3,$4)
           ON CONFLICT (order_id) DO NOTHING`,
          [o.orderId, o.accountId, o.instrumentId, o.side],
        );
      }
      if (ended.length > 0) await tx.query('DELETE FROM hx_working_orders WHERE order_id = ANY($1)', [ended]);
    };
  }
}

/** Nothing survives the process (tests, backtests). */
export class MemoryWorkingOrders implements WorkingOrderRecord {
  async load(): Promise<WorkingOrder[]> {
    return [];
  }

  write(): undefined {
    return undefined;
  }
}

type Scope =
  | { scope: 'GLOBAL' }
  | { scope: 'ACCOUNT'; accountId: string }
  | { scope: 'INSTRUMENT'; instrumentId: string };

/**
 * Takes risk off when trading is halted. A processor over the log: it follows which orders work, and
 * when a halt that cancels is recorded it asks to cancel the orders it forbids in its scope — every
 * one for HALTED; for REDUCING, those that would grow a position (each account keeps, oldest first,
 * the orders that together only shrink its position in the instrument). Each cancel is recorded with
 * the halt event as its cause and the halt's reason. An order accepted after a global or instrument
 * halt (by an instance that had not yet seen it) is canceled the same way. Idempotent: a cancel asked
 * twice is one cancel.
 */
export class HaltEnforcer {
  readonly processor: Processor<EnforcerEventType>;
  private readonly working = new Map<string, WorkingOrder>();
  private globalHalt: Halt | null = null;
  private readonly instrumentHalts = new Map<string, Halt>();
  /** Accounts' halts as far as seen: loaded from the account the first time one of its orders is. */
  private readonly accountHalts = new Map<string, Halt | null>();
  private loaded = false;
  private readonly clock: ProcessorDeps['clock'];

  constructor(
    private readonly aggregates: AggregateStore,
    private readonly reference: ReferenceData,
    private readonly record: WorkingOrderRecord,
    deps: ProcessorDeps,
  ) {
    this.clock = deps.clock;
    this.processor = new Processor(
      {
        name: 'halt-enforcer',
        canHandle: ENFORCER_EVENTS,
        handle: (events) => this.handle(events),
        // Active again after another instance held the lock: what it saw, this one reads afresh.
        onActive: async () => this.forget(),
      },
      deps,
    );
  }

  /** Orders this enforcer counts as working (for tests and the health of its record). */
  workingOrders(): WorkingOrder[] {
    return [...this.working.values()];
  }

  private forget(): void {
    this.loaded = false;
    this.working.clear();
    this.instrumentHalts.clear();
    this.accountHalts.clear();
  }

  private async handle(events: Recorded<EnforcerEventType>[]): Promise<CheckpointWrite | void> {
    if (!this.loaded) {
      for (const o of await this.record.load()) this.working.set(o.orderId, o);
      await this.reference.ready();
      this.globalHalt = this.reference.globalControls.halt;
      this.loaded = true;
    }
    const changes: WorkingOrderChanges = { accepted: [], ended: [] };
    for (const event of events) {
      switch (event.type) {
        case 'OrderAccepted': {
          const terms = event.data as OrderTerms;
          const order: WorkingOrder = {
            orderId: terms.orderId,
            accountId: terms.accountId,
            instrumentId: terms.instrumentId,
            side: terms.side,
          };
          this.working.set(order.orderId, order);
          changes.accepted.push(order);
          await this.enforceOnNewOrder(order, event);
          break;
        }
        case 'GlobalTradingHalted':
          this.globalHalt = haltOf(event.data);
          if (event.data.cancelWorking === true)
            await this.enforce({ scope: 'GLOBAL' }, this.globalHalt, event);
          break;
        case 'GlobalTradingResumed':
          this.globalHalt = null;
          break;
        case 'InstrumentHalted': {
          const halt = haltOf(event.data);
          this.instrumentHalts.set(event.data.instrumentId, halt);
          if (event.data.cancelWorking === true) {
            await this.enforce({ scope: 'INSTRUMENT', instrumentId: event.data.instrumentId }, halt, event);
          }
          break;
        }
        case 'InstrumentResumed':
          this.instrumentHalts.delete(event.data.instrumentId);
          break;
        case 'TradingHalted':
          this.accountHalts.set(event.data.accountId, haltOf(event.data));
          if (event.data.cancelWorking === true) {
            await this.enforce(
              { scope: 'ACCOUNT', accountId: event.data.accountId },
              haltOf(event.data),
              event,
            );
          }
          break;
        case 'TradingResumed':
          this.accountHalts.set(event.data.accountId, null);
          break;
        default:
          if (endsOrder(domainEventOf(event))) {
            const orderId = orderIdOf(event.streamName);
            this.working.delete(orderId);
            changes.ended.push(orderId);
          }
      }
    }
    return this.record.write(changes);
  }

  /**
   * An order accepted while the market, its instrument or its account was halted: seen late by the
   * instance that placed it, or (its account) halted between the order's reservation and its
   * acceptance, the two appends of placing an order.
   */
  private async enforceOnNewOrder(order: WorkingOrder, cause: Recorded): Promise<void> {
    const instrumentHalt =
      this.instrumentHalts.get(order.instrumentId) ?? this.reference.instrument(order.instrumentId).halt;
    if (!this.accountHalts.has(order.accountId)) {
      this.accountHalts.set(order.accountId, (await this.account(order.accountId)).halt);
    }
    for (const halt of [this.globalHalt, instrumentHalt, this.accountHalts.get(order.accountId) ?? null]) {
      if (!halt) continue;
      const forbidden = await this.forbidden([order], halt);
      if (forbidden.length > 0) return this.cancel(forbidden, halt, cause);
    }
  }

  private async enforce(scope: Scope, halt: Halt, cause: Recorded): Promise<void> {
    const inScope = [...this.working.values()].filter(
      (o) =>
        scope.scope === 'GLOBAL' ||
        (scope.scope === 'ACCOUNT' && o.accountId === scope.accountId) ||
        (scope.scope === 'INSTRUMENT' && o.instrumentId === scope.instrumentId),
    );
    await this.cancel(await this.forbidden(inScope, halt), halt, cause);
  }

  /**
   * The orders a halt forbids: all under HALTED; under REDUCING, per account and instrument, what is
   * beyond the orders that together only shrink the position (oldest kept first).
   */
  private async forbidden(orders: WorkingOrder[], halt: Halt): Promise<WorkingOrder[]> {
    if (haltLevel(halt) === 'HALTED') return orders;
    const out: WorkingOrder[] = [];
    // Every working order of an account in an instrument counts, in the order they were accepted.
    const books = byBook(this.working.values());
    const accounts = new Map<string, AccountState>(); // each account read once per halt
    for (const [key, group] of byBook(orders)) {
      const { accountId, instrumentId } = group[0];
      let account = accounts.get(accountId);
      if (!account) accounts.set(accountId, (account = await this.account(accountId)));
      const position = positionQuantityOf(account, instrumentId);
      const reducingSide: Side | null = position.isPositive() ? 'SELL' : position.isNegative() ? 'BUY' : null;
      let room = position.abs();
      const kept = new Set<string>();
      for (const o of books.get(key) ?? []) {
        if (o.side !== reducingSide) continue;
        const open = account.reservations.get(o.orderId)?.quantity ?? Decimal.ZERO;
        if (open.lte(room)) {
          room = room.minus(open);
          kept.add(o.orderId);
        }
      }
      out.push(...group.filter((o) => !kept.has(o.orderId)));
    }
    return out;
  }

  private async account(accountId: string): Promise<AccountState> {
    return (await this.aggregates.load(accountDecider, accountStream(accountId))).state;
  }

  private async cancel(orders: WorkingOrder[], halt: Halt, cause: Recorded): Promise<void> {
    const level = haltLevel(halt);
    for (const o of orders) {
      // A refusal (already ended, already being canceled) is the outcome wanted: nothing to do.
      await this.aggregates.execute(
        orderDecider,
        orderStream(o.orderId),
        {
          type: 'RequestCancel',
          data: {
            orderId: o.orderId,
            reason: `trading ${level === 'HALTED' ? 'halted' : 'reducing'}: ${halt.reason}`,
          },
          metadata: { now: new Date(this.clock.now()) },
        },
        {
          correlationId: cause.metadata.correlationId,
          causationId: cause.eventId,
          actor: HALT_ENFORCER_ACTOR,
        },
      );
    }
  }
}

/** Orders by account and instrument, each group in the order given. */
function byBook(orders: Iterable<WorkingOrder>): Map<string, WorkingOrder[]> {
  const books = new Map<string, WorkingOrder[]>();
  for (const o of orders) {
    const key = `${o.accountId}\u0000${o.instrumentId}`;
    const book = books.get(key);
    if (book) book.push(o);
    else books.set(key, [o]);
  }
  return books;
}

function haltOf(d: { reason: string; haltedAt: string; state?: 'REDUCING' | 'HALTED' }): Halt {
  return { state: d.state ?? 'HALTED', reason: d.reason, haltedAt: d.haltedAt };
}
