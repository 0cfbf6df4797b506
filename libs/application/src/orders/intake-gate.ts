import { GlobalPosition, comparePositions } from '@oms/event-store';
import { Clock } from '@oms/platform';
import { Refusal } from '../refusal';

/** The checkpoint of the processor that routes accepted orders to venues. */
export const ROUTING_PROCESSOR = 'execution-gateway';

/** A place in the intake: given up with `release` (refused, failed) or `accepted` (with its position). */
export interface IntakeTicket {
  accepted(position: GlobalPosition): void;
  release(): void;
}

/**
 * Below this many orders in the backlog nothing is refused for the pace, which is also the limit
 * before any pace is known (a fresh process does not take a burst its venues need seconds for).
 */
const FLOOR = 50;
/** How long a measured routing pace counts as what the gateway can do. */
const PACE_MEMORY_MS = 10_000;
/**
 * The window a pace is measured over: long beside the gateway's batches, whose checkpoint moves in
 * jumps (a batch of 50 passed in one reading is not 1,000 a second).
 */
const PACE_WINDOW_MS = 2_000;

/**
 * The intake limit (backpressure instead of queues). Orders this process has accepted that the
 * execution gateway has not taken yet (its checkpoint has not passed them), with the ones being
 * decided now, are the backlog. A new order is refused at once with a retryable OVERLOADED, before
 * anything is decided or appended, when
 * - the backlog is at `bound` (memory stays bounded), or
 * - it holds more than the gateway routes in `maxWaitMs` at the best pace it showed in the last ten
 *   seconds (at least `FLOOR`, and `FLOOR` until a pace is known): what is accepted then reaches its
 *   venue in about `maxWaitMs`, however slowly the venues take orders (their rate limits set the
 *   pace), or
 * - its oldest order has waited `maxWaitMs` already.
 * Cancels never pass here.
 *
 * The gateway's checkpoint is read when a limit is reached and the last reading is older than
 * `refreshMs` (one reading at a time): a busy intake reads it a few times a second, an idle one never.
 * Each API process holds its own limits.
 */
export class IntakeGate {
  /** The orders accepted here and not yet taken by the gateway, oldest first. */
  private waiting: { position: GlobalPosition; acceptedAt: number }[] = [];
  private deciding = 0;
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;
  /** Orders seen routed at each reading, with when (the last PACE_MEMORY_MS of them). */
  private routedLog: { at: number; count: number }[] = [];
  /** Routing paces over PACE_WINDOW_MS, with when: the best recent one is taken as the capacity. */
  private paces: { at: number; perSecond: number }[] = [];
  /** The backlog the gateway routes in `maxWaitMs` at that pace, as of the last reading. */
  private pacedLimit: number;

  constructor(
    private readonly routedUpTo: () => Promise<GlobalPosition>,
    readonly bound: number,
    readonly maxWaitMs: number,
    private readonly clock: Clock,
    private readonly refreshMs = 50,
  ) {
    this.pacedLimit = Math.min(bound, FLOOR);
  }

  /** Orders accepted and not yet routed, and orders being decided. */
  get backlog(): number {
    return this.waiting.length + this.deciding;
  }

  /** A place in the intake, or OVERLOADED. */
  async admit(): Promise<IntakeTicket> {
    if (this.limited() && this.clock.now() - this.readAt >= this.refreshMs) await this.read();
    const limit = this.limited();
    if (limit) {
      throw new Refusal(
        'OVERLOADED',
        `The OMS is at its intake limit (${limit}); nothing was recorded. Send the order again shortly.`,
        undefined,
        { retryable: true },
      );
    }
    this.deciding++;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.deciding--;
      return true;
    };
    return {
      accepted: (position) => {
        if (close()) this.waiting.push({ position, acceptedAt: this.clock.now() });
      },
      release: () => void close(),
    };
  }

  /** Which limit is reached, in words; null when none is. */
  private limited(): string | null {
    if (this.backlog >= this.bound) return `${this.bound} orders accepted and not yet routed`;
    const paced = this.pacedLimit;
    if (this.backlog >= paced) {
      return `${paced} orders accepted and not yet routed, ${this.maxWaitMs} ms of routing at its recent pace`;
    }
    const oldest = this.waiting[0];
    if (oldest && this.clock.now() - oldest.acceptedAt >= this.maxWaitMs) {
      return `orders accepted ${this.maxWaitMs} ms ago not yet routed`;
    }
    return null;
  }

  private read(): Promise<void> {
    this.reading ??= this.routedUpTo()
      .then((routed) => {
        const now = this.clock.now();
        const before = this.waiting.length;
        this.waiting = this.waiting.filter((w) => comparePositions(w.position, routed) > 0);
        if (before > this.waiting.length)
          this.routedLog.push({ at: now, count: before - this.waiting.length });
        this.routedLog = this.routedLog.filter((r) => r.at > now - PACE_MEMORY_MS);
        const inWindow = this.routedLog.filter((r) => r.at > now - PACE_WINDOW_MS);
        if (inWindow.length > 0) {
          const routedInWindow = inWindow.reduce((sum, r) => sum + r.count, 0);
          this.paces.push({ at: now, perSecond: (routedInWindow * 1000) / PACE_WINDOW_MS });
        }
        // Worked out here, once a reading, not on every admission: FLOOR until a pace is known.
        this.paces = this.paces.filter((p) => p.at > now - PACE_MEMORY_MS);
        const best = Math.max(0, ...this.paces.map((p) => p.perSecond));
        this.pacedLimit = Math.min(this.bound, Math.max(FLOOR, Math.ceil((best * this.maxWaitMs) / 1000)));
        this.readAt = now;
      })
      // Not known now (the checkpoint store failed): as before, and not asked again for a while.
      .catch(() => void (this.readAt = this.clock.now()))
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
