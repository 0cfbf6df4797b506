import { Clock } from './clock';

export interface RetryOptions {
  /** Which failures are worth another attempt; anything else is thrown at once. */
  retryIf: (error: unknown) => boolean;
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; each later one doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Timers on this clock, so the same code backs off on a virtual clock in tests and backtests. */
  clock: Clock;
  /** Called before each wait, with the failure and the attempt that failed (1-based). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Jitter source, uniform in [0, 1); a seeded one keeps a backtest deterministic. */
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or the attempts are used up.
 * Exponential backoff with full jitter (a random delay between 0 and the capped exponential bound),
 * so contenders that failed together do not retry together.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= options.attempts || !options.retryIf(error)) throw error;
      const delayMs = backoffDelayMs(n, options.baseDelayMs, options.maxDelayMs, options.random);
      options.onRetry?.(error, n, delayMs);
      if (delayMs > 0) await sleep(options.clock, delayMs);
    }
  }
}

/** The wait after the n-th failed attempt (1-based): uniform in [0, min(max, base × 2^(n-1))]. */
export function backoffDelayMs(
  failedAttempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failedAttempt - 1, 30));
  return Math.round(random() * bound);
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
}
