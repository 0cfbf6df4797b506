import { createHash } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** Who may act: one active instance per name, the others standing by to take over. */
export interface InstanceLock {
  readonly name: string;
  /** Holds the lock now. */
  readonly isActive: boolean;
  /**
   * Runs `onActive` once this instance holds the lock: at once if it is free, otherwise from a later
   * retry. Resolves after the first attempt: true if active now, false if standing by. `onLost` runs
   * if the lock is lost under a running instance, or if `onActive` fails on a retry.
   */
  run(onActive: () => Promise<void>, onLost: (reason: string) => void): Promise<boolean>;
  release(): Promise<void>;
}

/** The only instance there is (one process, nothing to share with: backtests, unit tests). */
export class SoleInstance implements InstanceLock {
  private active = false;

  constructor(readonly name: string) {}

  get isActive(): boolean {
    return this.active;
  }

  async run(onActive: () => Promise<void>): Promise<boolean> {
    this.active = true;
    await onActive();
    return true;
  }

  async release(): Promise<void> {
    this.active = false;
  }
}

/**
 * One active instance per name among every process on the database: a session-level advisory lock,
 * held on a connection of its own for as long as the instance is active. The others stand by, try
 * again every `retryMs`, and take over once the holder's session ends (its process stopped or died).
 */
export class ActiveInstanceLock implements InstanceLock {
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    /** The lock's name; its key is derived from it, so every process that uses the name agrees. */
    readonly name: string,
    private readonly retryMs = 2_000,
  ) {}

  /** Holds the lock: its session is open. */
  get isActive(): boolean {
    return this.client !== null;
  }

  /**
   * See InstanceLock. A failed retry (the database away for a moment) is tried again. `onLost` runs
   * if the holding session ends under a running instance: another may take over, so it must stop.
   */
  async run(onActive: () => Promise<void>, onLost: (reason: string) => void): Promise<boolean> {
    if (this.stopped) return false;
    if (await this.tryAcquire(onLost)) {
      await onActive();
      return true;
    }
    this.retryLater(onActive, onLost);
    return false;
  }

  /** Lets go for good (a standby stops trying). */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private retryLater(onActive: () => Promise<void>, onLost: (reason: string) => void): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.tryAcquire(onLost).then(
        (acquired) =>
          acquired
            ? onActive().catch((error: unknown) => onLost(String(error)))
            : this.retryLater(onActive, onLost),
        () => this.retryLater(onActive, onLost),
      );
    }, this.retryMs);
    this.retry.unref();
  }

  private async tryAcquire(onLost: (reason: string) => void): Promise<boolean> {
    const client = new Client({ connectionString: connectionStringOf(this.dataSource) });
    let lost: ((reason: string) => void) | null = null;
    // Listening from the start: a socket error before the lock is held must not crash the process.
    client.on('error', (error) => lost?.(error.message));
    client.on('end', () => lost?.('connection closed'));
    let acquired = false;
    try {
      await client.connect();
      const { rows } = await client.query<{ acquired: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS acquired',
        [lockKey(this.name)],
      );
      acquired = rows[0].acquired && !this.stopped;
    } finally {
      if (!acquired) await client.end().catch(() => undefined);
    }
    if (!acquired) return false;
    lost = (reason: string) => {
      if (this.client !== client) return; // released on purpose
      this.client = null;
      onLost(`the session holding the ${this.name} lock ended: ${reason}`);
    };
    this.client = client;
    return true;
  }
}

function connectionStringOf(dataSource: DataSource): string {
  const url = (dataSource.options as { url?: string }).url;
  if (!url) throw new Error('ActiveInstanceLock needs a DataSource configured with a url.');
  return url;
}

/** A stable 64-bit advisory lock key per name. */
function lockKey(name: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`),
  ).toString();
}
