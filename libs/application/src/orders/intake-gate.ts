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
 * The intake limit (backpressure instead of queues). Orders this process has accepted that the
 * execution gateway has not taken yet (its checkpoint has not passed them), with the ones being
 * decided now, are the backlog. A new order is refused at once with a retryable OVERLOADED, before
 * anything is decided or appended, when the backlog is at `bound` (memory stays bounded) or the oldest
 * order in it has waited `maxWaitMs` (what is accepted reaches its venue in about that time, however
 * slowly the venues take orders: their rate limits set the pace). Cancels never pass here.
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

  constructor(
    private readonly routedUpTo: () => Promise<GlobalPosition>,
    readonly bound: number,
    readonly maxWaitMs: number,
    private readonly clock: Clock,
    private readonly refreshMs = 50,
  ) {}

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
    const oldest = this.waiting[0];
    if (oldest && this.clock.now() - oldest.acceptedAt >= this.maxWaitMs) {
      return `orders accepted ${this.maxWaitMs} ms ago not yet routed`;
    }
    return null;
  }

  private read(): Promise<void> {
    this.reading ??= this.routedUpTo()
      .then((routed) => {
        this.readAt = this.clock.now();
        this.waiting = this.waiting.filter((w) => comparePositions(w.position, routed) > 0);
      })
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
