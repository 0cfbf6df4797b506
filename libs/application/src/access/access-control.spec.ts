import { MemoryEventStore } from '@oms/event-store';
import { systemClock } from '@oms/platform';
import { AggregateStore } from '../aggregates/aggregate-store';
import { AccessControl, AuthenticationFailed } from './access-control';

const ctx = { actor: 'system:test', correlationId: 'test' };

/** Authentication under load: argon2 is the expensive part, and a flood of wrong keys must not starve good ones. */
describe('AccessControl.authenticate', () => {
  let access: AccessControl;

  beforeEach(async () => {
    access = new AccessControl(new AggregateStore(new MemoryEventStore()), systemClock);
    await access.ensurePrincipal('mallory', 'Mallory', ['TRADER'], ctx);
    await access.ensurePrincipal('ann', 'Ann', ['TRADER'], ctx);
  });

  const outcome = (key: string) =>
    access.authenticate(key).then(
      (a) => a.principal.principalId,
      (e: unknown) => (e instanceof AuthenticationFailed ? `${e.code}:${e.reason}` : String(e)),
    );

  it('a flood of wrong secrets for one live key id does not turn away keys used for the first time', async () => {
    const { keyId: malloryKey } = await access.issueKey('mallory', 'own', ctx);
    const good = await Promise.all(Array.from({ length: 12 }, () => access.issueKey('ann', 'desk', ctx)));
    const wrong = Array.from(
      { length: 40 },
      (_, i) => `oms_${malloryKey}_${'x'.repeat(41)}${String(i).padStart(2, '0')}`,
    );
    const results = await Promise.all([...wrong.map(outcome), ...good.map((g) => outcome(g.key))]);
    expect(results.slice(40)).toEqual(Array(12).fill('ann'));
    // Past a few wrong secrets the key id is not tried again for a while: no more argon2 runs for it.
    expect(results.slice(0, 40)).toContain('UNAUTHENTICATED:throttled');
    expect(results.slice(0, 40).every((r) => r.startsWith('UNAUTHENTICATED:'))).toBe(true);
  });

  it('a key that verified once is not throttled by wrong secrets sent under its id', async () => {
    const { keyId, key } = await access.issueKey('ann', 'desk', ctx);
    expect(await outcome(key)).toBe('ann');
    for (let i = 0; i < 10; i++) await outcome(`oms_${keyId}_${'y'.repeat(41)}${String(i).padStart(2, '0')}`);
    expect(await outcome(key)).toBe('ann');
  });
});
