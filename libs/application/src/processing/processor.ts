import { OmsEventType } from '@oms/domain';
import { EventStore, GlobalPosition, START, Subscription } from '@oms/event-store';
import { Clock, Logger, backoffDelayMs, processorFailures, processorLagSeconds, sleep } from '@oms/platform';
import { Recorded, asRecorded } from '../recorded';
import { InstanceLock } from './active-instance-lock';
import { CheckpointMoved, CheckpointStore, CheckpointWrite } from './checkpoints';

/** What a processor does, declared as data plus a batch handler. */
export interface ProcessorSpec<T extends OmsEventType> {
  /** Names its checkpoint and its lock: one active instance per name. */
  name: string;
  canHandle: readonly T[];
  batchSize?: number;
  /**
   * One batch, in log order. It may return a write that commits with the checkpoint moving past the
   * batch (read-model rows), so that both happen or neither does.
   */
  handle(events: Recorded<T>[]): Promise<CheckpointWrite | void>;
  /** After the batch and its checkpoint have committed. */
  committed?(events: Recorded<T>[]): void;
  /** A batch failed (it is retried after a backoff unless the owner stops the processor). */
  onFailure?(error: unknown): void;
  /** Runs once this instance is active, before it follows the log (connect venues, say). */
  onActive?(): Promise<void>;
  /** Runs each time it has caught up after becoming active (reconcile with venues, say). */
  onCaughtUp?(): Promise<void>;
  /** The lock was lost under it: it has stopped following. Without this it stands by again. */
  onLost?(reason: string): void;
}

export type ProcessorStatus =
  'starting' | 'catching-up' | 'live' | 'retrying' | 'standby' | 'lost' | 'stopped';

export interface ProcessorDeps {
  store: EventStore;
  checkpoints: CheckpointStore;
  lock: InstanceLock;
  clock: Clock;
  logger: Logger;
}

/**
 * The one checkpointed subscriber: the projector, the account ledger and the execution gateway each
 * run on one. It takes the lock (or stands by, and takes over when the holder goes), reads from its
 * checkpoint, catches up, then follows live; each batch moves the checkpoint by compare-and-set. One
 * failure policy for all: a failed batch is logged and counted, and the processor follows again from
 * its checkpoint after an exponential backoff with jitter, for as long as it holds the lock (a moved
 * checkpoint, after a rebuild, is followed from at once). Handlers must therefore be idempotent.
 */
export class Processor<T extends OmsEventType> {
  private current: ProcessorStatus = 'starting';
  private subscription: Subscription | null = null;
  private position: GlobalPosition = START;
  private following: Promise<void> | null = null;
  private stopped = false;
  private failuresInARow = 0;
  private hasCaughtUp = false;
  private inBatch = false;
  private markStopped!: () => void;
  /** Resolves when stopped: a backoff in progress ends at once. */
  private readonly stoppedSignal = new Promise<void>((resolve) => (this.markStopped = resolve));
  private markReady!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));
  private markCaughtUp!: () => void;
  private readonly caughtUpOnce = new Promise<void>((resolve) => (this.markCaughtUp = resolve));
  /** The last batch failure, for health. */
  lastError: string | null = null;
  private readonly log: Logger;

  constructor(
    private readonly spec: ProcessorSpec<T>,
    private readonly deps: ProcessorDeps,
  ) {
    this.log = deps.logger.child({ component: 'processor', processor: spec.name });
  }

  get name(): string {
    return this.spec.name;
  }

  /** The last log position this instance has handled and committed (START before any). */
  get followedTo(): GlobalPosition {
    return this.position;
  }

  /** In the middle of a batch (which may wait on the clock: a rate limit, an acknowledgement). */
  get handling(): boolean {
    return this.inBatch;
  }

  /** Whether events of this type are this processor's to handle. */
  handles(type: string): boolean {
    return (this.spec.canHandle as readonly string[]).includes(type);
  }

  get status(): ProcessorStatus {
    return this.current;
  }

  /** Caught up once and still holding the lock (a retry after a failed batch included), or standing by. */
  get isReady(): boolean {
    if (this.current === 'standby') return true;
    return this.hasCaughtUp && this.current !== 'lost' && this.current !== 'stopped';
  }

  /** Resolves once active and following, or standing by (what the first attempt found). */
  async start(): Promise<'active' | 'standby'> {
    if (this.stopped) return 'standby';
    const active = await this.deps.lock.run(
      () => this.becomeActive(),
      (reason) => void this.lost(reason),
    );
    if (!active && !this.stopped) {
      this.current = 'standby';
      this.markReady();
    }
    return active ? 'active' : 'standby';
  }

  /** Resolves the first time it has caught up, stands by, or is stopped (so no one waits forever). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Resolves the first time it has caught up after becoming active. */
  whenCaughtUp(): Promise<void> {
    return this.caughtUpOnce;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current = 'stopped';
    this.markReady();
    this.markStopped();
    await this.subscription?.stop();
    await this.following;
    await this.deps.lock.release();
  }

  private async becomeActive(): Promise<void> {
    if (this.stopped) return;
    this.current = 'catching-up';
    this.log.info('active: following the log from its checkpoint');
    await this.spec.onActive?.();
    this.following = this.followWhileActive();
  }

  private get active(): boolean {
    return !this.stopped && this.deps.lock.isActive;
  }

  /** Follows from the checkpoint; after a failure, again from the checkpoint, backing off. */
  private async followWhileActive(): Promise<void> {
    while (this.active) {
      try {
        await this.followOnce();
        return; // stopped, or the lock was lost
      } catch (error) {
        if (!this.active) return;
        const moved = error instanceof CheckpointMoved;
        if (moved) {
          this.log.info(error.message);
          continue;
        }
        this.failuresInARow++;
        this.lastError = error instanceof Error ? error.message : String(error);
        processorFailures.inc({ processor: this.spec.name });
        const delayMs = backoffDelayMs(this.failuresInARow, 250, 10_000);
        this.log.error(
          { err: error, retryInMs: delayMs },
          'batch failed; following again from the checkpoint',
        );
        this.current = 'retrying';
        this.spec.onFailure?.(error);
        if (!this.active) return;
        await Promise.race([sleep(this.deps.clock, delayMs), this.stoppedSignal]);
      }
    }
  }

  private async followOnce(): Promise<void> {
    this.position = await this.deps.checkpoints.load(this.spec.name);
    if (!this.active) return;
    const subscription = this.deps.store.subscribeToAll(
      {
        fromPosition: this.position,
        filter: { eventTypes: [...this.spec.canHandle] },
        batchSize: this.spec.batchSize ?? 500,
      },
      async (events) => {
        const typed = asRecorded<T>(events);
        this.inBatch = true;
        let next: GlobalPosition;
        try {
          const write = await this.spec.handle(typed);
          next = events[events.length - 1].position;
          await this.deps.checkpoints.commit(this.spec.name, this.position, next, write ?? undefined);
        } finally {
          this.inBatch = false;
        }
        this.position = next;
        this.failuresInARow = 0;
        this.spec.committed?.(typed);
        processorLagSeconds.set(
          { processor: this.spec.name },
          Math.max(0, (Date.now() - events[events.length - 1].recordedAt.getTime()) / 1000),
        );
      },
    );
    this.subscription = subscription;
    void subscription.caughtUp.then(() => this.caughtUp(subscription));
    await subscription.done;
  }

  private async caughtUp(subscription: Subscription): Promise<void> {
    if (this.subscription !== subscription || !this.active) return;
    try {
      await this.spec.onCaughtUp?.();
    } catch (error) {
      this.log.error({ err: error }, 'after catching up');
    }
    if (this.subscription !== subscription || !this.active) return;
    this.current = 'live';
    this.hasCaughtUp = true;
    this.failuresInARow = 0;
    this.lastError = null;
    this.log.info('caught up; following live');
    this.markCaughtUp();
    this.markReady();
  }

  /** The lock's session ended under this instance: another may be active now, so it stops at once. */
  private async lost(reason: string): Promise<void> {
    if (this.stopped) return;
    this.current = 'lost';
    this.log.warn({ reason }, 'lost the lock; stopped following');
    if (this.spec.onLost) {
      // The owner stops at once, before anything in flight can act again (the gateway: no more sends).
      this.spec.onLost(reason);
      return;
    }
    await this.subscription?.stop();
    await this.following;
    // Stand by, and take over again when the lock is free; the database may be away for a while.
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (this.stopped) return;
        const delayMs = backoffDelayMs(attempt, 250, 10_000);
        this.log.warn({ err: error, retryInMs: delayMs }, 'could not stand by again; trying again');
        await Promise.race([sleep(this.deps.clock, delayMs), this.stoppedSignal]);
      }
    }
  }
}
