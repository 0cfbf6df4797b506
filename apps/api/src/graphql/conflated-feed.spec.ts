import { VirtualClock } from '@oms/platform';
import { ConflatedFeed } from './conflated-feed';

/** A feed of a counter's value: `bump` changes it and tells the feed. */
function counterFeed(intervalMs: number, allowed: () => Promise<boolean> = async () => true) {
  const clock = new VirtualClock(0);
  let value = 0;
  let changed: () => void = () => undefined;
  let watching = false;
  const feed = new ConflatedFeed<number>(
    (notify) => {
      changed = notify;
      watching = true;
      return () => (watching = false);
    },
    () => value,
    intervalMs,
    clock,
    allowed,
  );
  const bump = (times = 1) => {
    for (let i = 0; i < times; i++) {
      value++;
      changed();
    }
  };
  return { clock, feed, bump, watching: () => watching };
}

/** Lets promise callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('a conflated market-data feed (one subscriber)', () => {
  it('sends the state at once, then at most one update per interval, each the latest', async () => {
    const { clock, feed, bump } = counterFeed(100);
    expect(await feed.next()).toEqual({ value: 0, done: false });
    bump(50); // 50 changes inside one interval
    const next = feed.next();
    let answered: IteratorResult<number> | null = null;
    void next.then((r) => (answered = r));
    await settle();
    expect(answered).toBeNull(); // not before the interval is over
    clock.advance(100);
    await settle();
    expect(answered).toEqual({ value: 50, done: false });
  });

  it('a subscriber that does not read holds one pending update, not a queue', async () => {
    const { clock, feed, bump } = counterFeed(100);
    await feed.next();
    for (let i = 0; i < 100; i++) {
      bump(10);
      clock.advance(100);
    }
    // It reads again after 10 simulated seconds: one update, the latest.
    expect(await feed.next()).toEqual({ value: 1000, done: false });
    let more: IteratorResult<number> | null = null;
    void feed.next().then((r) => (more = r));
    clock.advance(1_000);
    await settle();
    expect(more).toBeNull(); // nothing changed since
  });

  it('nothing is sent while nothing changes', async () => {
    const { clock, feed } = counterFeed(100);
    await feed.next();
    let answered = false;
    void feed.next().then(() => (answered = true));
    clock.advance(10_000);
    await settle();
    expect(answered).toBe(false);
  });

  it('ends when the subscriber is no longer allowed (a revoked key), and stops listening', async () => {
    let allowed = true;
    const { clock, feed, bump, watching } = counterFeed(100, async () => allowed);
    await feed.next();
    allowed = false;
    bump();
    clock.advance(100);
    expect(await feed.next()).toEqual({ value: undefined, done: true });
    expect(watching()).toBe(false);
  });

  it('ends when the client unsubscribes: a pending read completes and listening stops', async () => {
    const { feed, watching } = counterFeed(100);
    await feed.next();
    const pending = feed.next();
    await feed.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(watching()).toBe(false);
  });
});
