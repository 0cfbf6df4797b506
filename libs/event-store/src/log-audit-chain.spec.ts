import { RecordedEvent } from './event-store';
import { AUDIT_CHAIN_STREAM, LogAuditChain } from './log-audit-chain';
import { MemoryEventStore } from './memory/memory-event-store';

const meta = { correlationId: 'c', causationId: null, actor: 'user:ann' };

/** The log as the memory store holds it, to change behind its back (as `UPDATE es_events` would). */
const logOf = (store: MemoryEventStore) => (store as unknown as { log: RecordedEvent[] }).log;

/**
 * The audit chain on a store without tables (KurrentDB, memory): link events on the log itself.
 * A change to an event, a deleted or an inserted event, or a rewritten chain is found at its position.
 */
describe('the audit chain as link events on the log', () => {
  let store: MemoryEventStore;
  let chain: LogAuditChain;

  beforeEach(async () => {
    store = new MemoryEventStore();
    chain = new LogAuditChain(store);
    for (let i = 0; i < 450; i++) {
      await store.appendToStream(
        `order-o${i % 7}`,
        [{ type: 'OrderFilled', data: { n: i }, metadata: meta }],
        'any',
      );
    }
  });

  it('chains the log in order, in links of at most 200 events, and holds', async () => {
    expect(await chain.extend()).toBe(450);
    expect((await store.readStream(AUDIT_CHAIN_STREAM)).length).toBe(3);
    const verified = await chain.verify();
    expect(verified).toMatchObject({ ok: true, checked: 450, problem: null });
    // More events, and a second process extending the same chain, carry on from the same head.
    await store.appendToStream(
      'order-o1',
      [{ type: 'OrderFilled', data: { n: 'late' }, metadata: meta }],
      'any',
    );
    expect(await new LogAuditChain(store).extend()).toBe(1);
    expect(await chain.extend()).toBe(0);
    expect(await chain.verify()).toMatchObject({ ok: true, checked: 451 });
  });

  it('an altered event is found at its position', async () => {
    await chain.extend();
    const log = logOf(store);
    const victim = log[123];
    log[123] = { ...victim, data: { n: 'changed' } };
    const verified = await chain.verify();
    expect(verified.problem).toMatchObject({ kind: 'altered' });
    expect(verified.problem?.detail).toMatch(/event 124 \(/);
  });

  it('a deleted event is found at its position', async () => {
    await chain.extend();
    logOf(store).splice(300, 1);
    expect((await chain.verify()).problem).toMatchObject({
      kind: 'deleted',
      detail: 'event 301 of the chain is no longer in the log',
    });
  });

  it('an event slipped in among chained ones is found', async () => {
    await chain.extend();
    const log = logOf(store);
    const next = log[300];
    // A position just before the 301st event: after the 300th, so it reads as if it had always been there.
    const forged = {
      ...next,
      eventId: 'forged',
      data: { n: 'forged' },
      position: { commit: next.position.commit, prepare: next.position.prepare - 1n },
    };
    log.splice(300, 0, forged);
    const verified = await chain.verify();
    expect(verified.problem).toMatchObject({ kind: 'inserted' });
    expect(verified.problem?.detail).toMatch(/was never chained/);
  });

  it('a chain rewritten with the log is found against an anchor kept elsewhere', async () => {
    await chain.extend();
    const anchor = await chain.anchor();
    expect(anchor).toMatchObject({ count: 450 });
    const log = logOf(store);
    // Rewrite the log and the whole chain stream from scratch, consistently.
    const rewritten = new MemoryEventStore();
    for (const e of log.filter((x) => x.streamName !== AUDIT_CHAIN_STREAM)) {
      await rewritten.appendToStream(
        e.streamName,
        [{ type: e.type, data: e.streamName === 'order-o3' ? { n: 'x' } : e.data, metadata: meta }],
        'any',
      );
    }
    const forgedChain = new LogAuditChain(rewritten);
    await forgedChain.extend();
    expect((await forgedChain.verify()).ok).toBe(true);
    expect((await forgedChain.verify(anchor)).problem).toMatchObject({ kind: 'rewritten' });
  });
});
