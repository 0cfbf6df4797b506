import { Clock } from '@oms/platform';

/**
 * One subscriber's updates, conflated: at most one every `intervalMs`, and always the latest state
 * (rendered when it is sent, never queued). A slow client therefore holds one pending update at most
 * and cannot slow the feed or the OMS: while it does not read, changes only mark it due.
 *
 * `watch` registers the change listener and returns how to stop; `render` makes the update (null:
 * nothing to send this time, e.g. no trade since the last); `allowed` is asked before each update
 * (a revoked key ends the subscription).
 */
export class ConflatedFeed<T> implements AsyncIterableIterator<T> {
  private due = true;
  private lastSentAt = -Infinity;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private timer: unknown = null;
  private finished = false;
  private readonly stopWatching: () => void;

  constructor(
    watch: (changed: () => void) => () => void,
    private readonly render: () => T | null,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly allowed: () => Promise<boolean> = async () => true,
  ) {
    this.stopWatching = watch(() => {
      this.due = true;
      this.pump();
    });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.pump();
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private pump(): void {
    if (this.finished || !this.waiting || !this.due || this.timer !== null) return;
    const wait = this.lastSentAt + this.intervalMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    this.due = false;
    const value = this.render();
    if (value === null) return;
    const resolve = this.waiting;
    this.waiting = null;
    this.lastSentAt = this.clock.now();
    void this.allowed().then(
      (allowed) => {
        if (allowed && !this.finished) resolve({ value, done: false });
        else {
          this.finish();
          resolve({ value: undefined, done: true });
        }
      },
      () => {
        this.finish();
        resolve({ value: undefined, done: true });
      },
    );
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatching();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ value: undefined, done: true });
  }
}
