import { GlobalPosition, START } from '@oms/event-store';
import { VirtualClock } from '@oms/platform';
import { IntakeGate } from './intake-gate';

const at = (n: number): GlobalPosition => ({ commit: BigInt(n), prepare: BigInt(n) });

describe('the intake gate (backpressure)', () => {
  let routed: GlobalPosition;
  let clock: VirtualClock;
  let gate: IntakeGate;

  beforeEach(() => {
    routed = START;
    clock = new VirtualClock(1_000_000);
    gate = new IntakeGate(async () => routed, 3, 500, clock);
  });

  const accept = async (n: number) => (await gate.admit()).accepted(at(n));

  it('refuses past the count of orders accepted and not yet routed, counting those being decided', async () => {
    await accept(1);
    await accept(2);
    const deciding = await gate.admit();
    await expect(gate.admit()).rejects.toMatchObject({ code: 'OVERLOADED', details: { retryable: true } });
    deciding.release(); // refused by risk, say: its place is free again
    await accept(3);
    await expect(gate.admit()).rejects.toThrow('3 orders accepted and not yet routed');

    routed = at(2); // the gateway took the first two
    clock.advance(50);
    await accept(4);
    expect(gate.backlog).toBe(2);
  });

  it('refuses once the oldest accepted order has waited the longest allowed for its route', async () => {
    await accept(1);
    clock.advance(499);
    await accept(2);
    clock.advance(1);
    await expect(gate.admit()).rejects.toThrow('orders accepted 500 ms ago not yet routed');

    routed = at(1);
    clock.advance(50);
    await accept(3);
  });

  it('holds no more than the gateway routes in the longest wait, at the best pace it showed lately', async () => {
    const paced = new IntakeGate(async () => routed, 400, 500, clock);
    let n = 0;
    const take = async () => (await paced.admit()).accepted(at(++n));
    // Before any pace is known: 50 at most (a fresh process takes no burst its venues need seconds for).
    for (let i = 0; i < 50; i++) await take();
    await expect(paced.admit()).rejects.toThrow('50 orders accepted and not yet routed');

    // A slow gateway, 50 in two seconds: 25 a second is 13 in half a second; the floor of 50 stands.
    routed = at(n);
    clock.advance(2_000);
    for (let i = 0; i < 50; i++) await take();
    await expect(paced.admit()).rejects.toThrow('50 orders accepted and not yet routed, 500 ms of routing');

    // A fast one, 50 every 50 ms for two seconds: 1,000 a second; half a second of it is 500, so the
    // bound of 400 is the limit.
    for (let round = 0; round < 40; round++) {
      routed = at(n);
      clock.advance(50);
      for (let i = 0; i < 50; i++) await take();
    }
    routed = at(n);
    clock.advance(50);
    for (let i = 0; i < 400; i++) await take();
    await expect(paced.admit()).rejects.toThrow('400 orders accepted and not yet routed');
  });

  it('a checkpoint it cannot read leaves the backlog as it was: OVERLOADED, not the store error', async () => {
    let failing = false;
    const gated = new IntakeGate(
      async () => {
        if (failing) throw new Error('connection terminated');
        return routed;
      },
      2,
      500,
      clock,
    );
    (await gated.admit()).accepted(at(1));
    (await gated.admit()).accepted(at(2));
    failing = true;
    routed = at(2);
    await expect(gated.admit()).rejects.toMatchObject({ code: 'OVERLOADED' });
    failing = false;
    clock.advance(50);
    (await gated.admit()).accepted(at(3));
  });
});
