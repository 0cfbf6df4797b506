import { Clock, venueErrors } from '@oms/platform';
import { BreakerState, CircuitBreaker } from '../resilience/circuit-breaker';
import { TokenBucket } from '../resilience/token-bucket';
import { Venue, VenueSession, VenueUnavailable } from '../venue';

/** The line was stopped while a request waited on it: nothing is sent. */
export class LineStopped extends Error {
  constructor(venueId: string) {
    super(`the line to ${venueId} was stopped`);
    this.name = 'LineStopped';
  }
}

export interface VenueLineStatus {
  id: string;
  connected: boolean;
  breaker: BreakerState;
  rateLimitUsage: number;
  lastError: string | null;
  /** A session venue's (FIX) session state; null for the others. */
  session: VenueSession | null;
}

/**
 * Everything that stands between the gateway and one venue: the venue's own rate limit (a token
 * bucket; requests wait for tokens first come, first served, each at most `maxWaitMs` from its turn)
 * and a circuit breaker, both on the injected clock. The bucket starts empty: a previous gateway may
 * have used the venue's burst just before it stopped.
 */
export class VenueLine {
  readonly breaker: CircuitBreaker;
  private readonly limiter: TokenBucket;
  /** Requests waiting for tokens, in arrival order. */
  private tokenQueue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private stopped = false;
  /** Wakes the request waiting for a token now (on stop). */
  private wakeWaiter: (() => void) | null = null;

  constructor(
    readonly venue: Venue,
    private readonly clock: Clock,
    /** How long a request may wait for a token, from its turn. */
    readonly maxWaitMs: number,
  ) {
    const { rateLimit } = venue.capabilities;
    this.breaker = new CircuitBreaker(clock);
    this.limiter = new TokenBucket(rateLimit.perSecond, rateLimit.burst, clock, 0);
  }

  get venueId(): string {
    return this.venue.capabilities.venueId;
  }

  /**
   * A token at hand (and nobody queued for one) is taken without yielding; otherwise the request
   * waits its turn. False if no token comes within the bound (`maxWaitMs` of the line unless given);
   * throws LineStopped if the line stops.
   */
  takeToken(maxWaitMs = this.maxWaitMs): boolean | Promise<boolean> {
    if (this.stopped) throw new LineStopped(this.venueId);
    if (this.waiting === 0 && this.limiter.tryTake()) return true;
    this.waiting++;
    const taken = this.tokenQueue.then(() => this.waitForToken(maxWaitMs));
    this.tokenQueue = taken.finally(() => this.waiting--).catch(() => undefined);
    return taken;
  }

  private async waitForToken(maxWaitMs: number): Promise<boolean> {
    let waited = 0;
    for (;;) {
      if (this.stopped) throw new LineStopped(this.venueId);
      if (this.limiter.tryTake()) return true;
      const wait = this.limiter.waitMs();
      if (waited + wait > maxWaitMs) return false;
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, wait);
        this.wakeWaiter = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
      });
      this.wakeWaiter = null;
      waited += wait;
    }
  }

  /** A request that did not reach the venue counts against its breaker, unless only its rate limit said no. */
  recordFailure(error: unknown): void {
    if (error instanceof VenueUnavailable && error.reason === 'rate limit exceeded') {
      venueErrors.inc({ venue: this.venueId, kind: 'rate_limited' });
      return;
    }
    venueErrors.inc({ venue: this.venueId, kind: 'not_sent' });
    this.breaker.failure(String((error as Error)?.message ?? error));
  }

  /** Nothing more goes out; requests waiting for tokens give up at once. */
  stop(): void {
    this.stopped = true;
    this.wakeWaiter?.();
  }

  status(): VenueLineStatus {
    return {
      id: this.venueId,
      connected: this.venue.connected,
      breaker: this.breaker.state,
      rateLimitUsage: this.limiter.usage,
      lastError: this.breaker.lastError,
      session: this.venue.session?.() ?? null,
    };
  }
}
