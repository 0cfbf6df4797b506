import { Clock } from '@oms/platform';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * Per venue: CLOSED lets everything through; `failureThreshold` failures in a row open it; OPEN refuses
 * everything for `openMs`, then HALF_OPEN lets one probe through: its success closes the breaker, its
 * failure opens it again.
 */
export class CircuitBreaker {
  private opened = 0;
  private failures = 0;
  private probing = false;
  private current: BreakerState = 'CLOSED';
  lastError: string | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly failureThreshold = 3,
    private readonly openMs = 5_000,
  ) {}

  get state(): BreakerState {
    if (this.current === 'OPEN' && this.clock.now() - this.opened >= this.openMs) {
      this.current = 'HALF_OPEN';
      this.probing = false;
    }
    return this.current;
  }

  /** May a request go now? In HALF_OPEN only one probe at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'CLOSED') return true;
    if (state === 'OPEN' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'CLOSED';
  }

  failure(error: string): void {
    this.lastError = error;
    this.probing = false;
    this.failures++;
    if (this.current === 'HALF_OPEN' || this.failures >= this.failureThreshold) {
      this.current = 'OPEN';
      this.opened = this.clock.now();
    }
  }
}
