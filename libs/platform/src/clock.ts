/**
 * Time as something passed in: the same venue, gateway and timers run on wall time (the demo) and on a
 * virtual clock (tests, backtests), where time moves only when told to.
 */
export interface Clock {
  /** ms since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Longest single wait: Node runs a longer setTimeout at once (it overflows 32 bits). */
const LONGEST_WAIT_MS = 86_400_000;

/**
 * Runs `callback` once the clock reads `atMs` or later, however far off (a GTD order may expire in a
 * year): long waits are taken a day at a time. Returns a cancel function.
 */
export function runAt(clock: Clock, atMs: number, callback: () => void): () => void {
  let handle: unknown;
  let canceled = false;
  const wait = () => {
    if (canceled) return;
    const left = atMs - clock.now();
    if (left <= 0) return callback();
    handle = clock.setTimeout(wait, Math.min(left, LONGEST_WAIT_MS));
  };
  // Never at once, even when due: the caller has the cancel function before the callback runs.
  handle = clock.setTimeout(wait, Math.max(0, Math.min(atMs - clock.now(), LONGEST_WAIT_MS)));
  return () => {
    canceled = true;
    clock.clearTimeout(handle);
  };
}

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock that moves only on `advance`, running due timers in time order (ties in scheduling order). */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (and those they set). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.nextDue(until);
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }

  get pending(): number {
    return this.timers.length;
  }

  private nextDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at <= until && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}
