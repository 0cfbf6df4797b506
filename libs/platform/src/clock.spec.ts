import { VirtualClock } from './clock';

describe('virtual clock', () => {
  it('runs timers in time order, ties in the order they were set, each at its own time', () => {
    const clock = new VirtualClock(1_000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => {
      ran.push(`d@${clock.now()}`);
      clock.setTimeout(() => ran.push(`e@${clock.now()}`), 0);
    }, 15);
    clock.advance(30);
    expect(ran).toEqual(['a@1010', 'd@1015', 'e@1015', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1_030);
    expect(clock.pending).toBe(0);
  });

  it('steps one timer at a time for a driver that settles in between, and skips cleared ones', () => {
    const clock = new VirtualClock(0);
    const ran: number[] = [];
    const cleared = clock.setTimeout(() => ran.push(-1), 5);
    clock.setTimeout(() => ran.push(clock.now()), 7);
    clock.setTimeout(() => ran.push(clock.now()), 9);
    clock.clearTimeout(cleared);
    expect(clock.pending).toBe(2);
    expect(clock.nextDueAt()).toBe(7);
    expect(clock.runNext(8)).toBe(true);
    expect(clock.runNext(8)).toBe(false);
    expect(ran).toEqual([7]);
    clock.moveTo(8);
    expect(clock.now()).toBe(8);
    expect(clock.runNext(100)).toBe(true);
    expect(ran).toEqual([7, 9]);
    expect(clock.nextDueAt()).toBeNull();
    // A timer that already ran cannot be cleared twice over.
    const spent = clock.setTimeout(() => undefined, 0);
    clock.advance(0);
    clock.clearTimeout(spent);
    expect(clock.pending).toBe(0);
  });
});
