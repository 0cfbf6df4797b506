import { Clock } from '@oms/platform';

/**
 * A token bucket: `perSecond` tokens a second, at most `burst` saved up. `tryTake` never lets more
 * through than the bucket holds; `waitMs` says how long until the next token. It starts with
 * `initialTokens` (a full bucket unless told otherwise).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
    initialTokens = burst,
  ) {
    this.tokens = Math.min(burst, initialTokens);
    this.updatedAt = clock.now();
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** ms until a token is available (0: now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Share of the burst in use (0: idle, 1: none left). */
  get usage(): number {
    this.refill();
    return 1 - this.tokens / this.burst;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
    this.updatedAt = now;
  }
}
