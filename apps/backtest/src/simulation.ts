import { EventStore, GlobalPosition, START, comparePositions } from '@oms/event-store';
import { VirtualClock } from '@oms/platform';
import { setImmediate as turn } from 'timers/promises';

/** Something that follows the log: it has handled everything of its types up to `followedTo`. */
export interface LogFollower {
  followedTo: GlobalPosition;
  handles(type: string): boolean;
  /** In the middle of a batch: it is waiting on the clock or the store, not on being told of appends. */
  readonly handling?: boolean;
}

/**
 * Drives the virtual clock: one timer at a time, each followed by a settle, so that everything a
 * timer set off has finished, or waits on the clock, before time moves on. Settled means: every
 * follower of the log (the gateway, the ledger, the strategy's order updates) has handled every event
 * of its types in the log, or is in the middle of a batch (then it waits on the clock or the store);
 * no callback of the strategy is still running; no store request is out (a database answers in real
 * time); and a turn of the event loop changed none of that nor set or cleared a timer. The in-memory
 * store does its work in promise callbacks, so one turn usually suffices.
 */
export class Simulation {
  private inFlight = 0;
  private failure: unknown = null;
  /** Every event up to here is handled by every follower that handles its type. */
  private checkedTo: GlobalPosition = START;
  /** The last event the check read (beyond checkedTo when a follower mid-batch has yet to read it). */
  private seenTo: GlobalPosition = START;
  /** Why the last check found it not settled (for the error if it never does). */
  private stuck = '';
  readonly followers: LogFollower[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly store: EventStore,
    /** Requests to the store still out (a database's pool); absent for the in-memory store. */
    private readonly busy?: () => boolean,
  ) {
    this.real = busy !== undefined;
  }

  /** The store answers in real time (a database), not in promise callbacks. */
  private readonly real: boolean;

  private storeBusy(): boolean {
    return this.busy?.() ?? false;
  }

  /** A strategy callback's promise: time waits for it; a failure stops the backtest. */
  track(result: void | Promise<void> | undefined): void {
    if (!result) return;
    this.inFlight++;
    result.catch((error: unknown) => (this.failure ??= error)).finally(() => this.inFlight--);
  }

  async settle(): Promise<void> {
    let before = this.signature();
    for (let rounds = 0; ; rounds++) {
      if (rounds > 100_000)
        throw new Error(
          `the OMS did not settle: ${this.stuck || 'something keeps working without time moving'}`,
        );
      if (this.storeBusy()) await realPause();
      else await turn();
      if (this.failure) throw this.failure;
      const after = this.signature();
      const quiet = after === before && this.inFlight === 0 && !this.storeBusy();
      before = after;
      if (!quiet || !(await this.followersCaughtUp())) continue;
      if (!this.real) return;
      // A database: the check above asked it too, and work may have moved on meanwhile. Settled only
      // if a further turn finds nothing out and nothing changed.
      await turn();
      if (this.storeBusy() || this.inFlight > 0 || this.signature() !== after) continue;
      if (comparePositions(await this.store.headPosition(), this.seenTo) > 0) continue;
      if (!this.storeBusy() && this.signature() === after) return;
    }
  }

  /** Runs every timer due by `at`, one at a time, settling after each; time then reads `at`. */
  async runUntil(at: number): Promise<void> {
    let instant = this.clock.now();
    let atInstant = 0;
    while (this.clock.runNext(at)) {
      if (this.clock.now() !== instant) {
        instant = this.clock.now();
        atInstant = 0;
      } else if (++atInstant > TIMERS_PER_INSTANT) {
        throw new Error(
          `more than ${TIMERS_PER_INSTANT} timers fell due at ${new Date(instant).toISOString()} without time moving ` +
            '(a timer of 0 ms that sets itself again, in a strategy say)',
        );
      }
      await this.settle();
    }
    this.clock.moveTo(at);
  }

  /** Waits for `work`, moving time along while it needs the clock (start-up may wait on timers). */
  async until<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const finished = work.finally(() => (done = true));
    await this.settle();
    while (!done) {
      const next = this.clock.nextDueAt();
      if (next === null) break;
      await this.runUntil(next);
    }
    return finished;
  }

  private signature(): string {
    return `${this.clock.pending}|${this.clock.scheduled}|${this.clock.now()}`;
  }

  /** Whether every follower has handled what is in the log for it (new events read once). */
  private async followersCaughtUp(): Promise<boolean> {
    const head = await this.store.headPosition();
    if (comparePositions(head, this.checkedTo) <= 0) {
      this.seenTo = head;
      return true;
    }
    const fresh = await this.store.readAll({ fromPosition: this.checkedTo });
    // A follower mid-batch waits on the clock; what it has not read yet is checked again next time.
    let deferred = false;
    for (const follower of this.followers) {
      for (let i = fresh.length - 1; i >= 0; i--) {
        if (!follower.handles(fresh[i].type)) continue;
        if (follower.handling) {
          deferred ||= comparePositions(follower.followedTo, fresh[i].position) < 0;
          break;
        }
        if (comparePositions(follower.followedTo, fresh[i].position) < 0) {
          this.stuck = `a follower of the log has not handled ${fresh[i].type} of ${fresh[i].streamName}`;
          return false;
        }
        break;
      }
    }
    if (fresh.length > 0) this.seenTo = fresh[fresh.length - 1].position;
    if (!deferred) this.checkedTo = this.seenTo;
    return true;
  }
}

/** Timers that may fall due at one instant before the run is stopped as going nowhere. */
const TIMERS_PER_INSTANT = 100_000;

/** A real pause (a database is answering): a millisecond. */
function realPause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}
