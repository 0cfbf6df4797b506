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
  canceled: boolean;
}

/**
 * A clock that moves only when told to, running due timers in time order (ties in scheduling order).
 * `advance` runs them all at once; a driver that must let asynchronous work settle between timers (a
 * backtest) steps with `nextDueAt` and `runNext`. Timers sit in a binary heap: a backtest keeps
 * thousands pending.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private live = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback, canceled: false };
    this.push(timer);
    this.live++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as Timer | undefined;
    if (!timer || timer.canceled) return;
    timer.canceled = true;
    this.live--;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (and those they set). */
  advance(ms: number): void {
    const until = this.time + ms;
    while (this.runNext(until));
    this.time = until;
  }

  /** When the earliest pending timer is due; null when none is pending. */
  nextDueAt(): number | null {
    this.dropCanceled();
    return this.heap.length > 0 ? this.heap[0].at : null;
  }

  /** Runs the earliest timer if it is due by `until` (time moves to it); false when none is. */
  runNext(until: number): boolean {
    this.dropCanceled();
    const next = this.heap[0];
    if (!next || next.at > until) return false;
    this.pop();
    this.live--;
    next.canceled = true; // spent: a late clearTimeout is a no-op
    if (next.at > this.time) this.time = next.at;
    next.callback();
    return true;
  }

  /** Moves time to `at` (never back) without running anything: the driver ran what was due. */
  moveTo(at: number): void {
    if (at > this.time) this.time = at;
  }

  get pending(): number {
    return this.live;
  }

  /** Timers ever set: with `pending`, tells a driver whether anything was set or cleared. */
  get scheduled(): number {
    return this.seq;
  }

  private dropCanceled(): void {
    while (this.heap.length > 0 && this.heap[0].canceled) this.pop();
  }

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && this.before(heap[l], heap[best])) best = l;
        if (r < heap.length && this.before(heap[r], heap[best])) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top;
  }
}
