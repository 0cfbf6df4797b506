import { createHash } from 'crypto';
import { MemoryEventStore } from '@oms/event-store';
import { systemClock } from '@oms/platform';
import { AggregateStore } from '../aggregates/aggregate-store';
import { AccessControl, AuthenticationFailed } from './access-control';

const ctx = { actor: 'system:test', correlationId: 'test' };

/** Authentication under load: argon2 is the expensive part, and a flood of wrong keys must not starve good ones. */
describe('AccessControl.authenticate', () => {
  let access: AccessControl;
  let store: MemoryEventStore;

  beforeEach(async () => {
    store = new MemoryEventStore();
    access = new AccessControl(new AggregateStore(store), systemClock);
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
    expect(results.slice(0, 40).every((r) => r === 'UNAUTHENTICATED:wrong-secret')).toBe(true);
  });

  it('wrong secrets sent under a key id never lock its key out, verified before or not', async () => {
    const { keyId, key } = await access.issueKey('ann', 'desk', ctx);
    for (let i = 0; i < 10; i++) await outcome(`oms_${keyId}_${'y'.repeat(41)}${String(i).padStart(2, '0')}`);
    expect(await outcome(key)).toBe('ann');
    await access.ensurePrincipal('admin', 'Admin', ['ADMIN'], ctx);
    const configured = 'the-configured-admin-key-0123456789abcdef';
    await access.registerConfiguredKey('admin', configured, 'OMS_ADMIN_KEY', ctx);
    // Any plain string is tried against the configured key: a handful of them must not shut it out.
    const fresh = new AccessControl(new AggregateStore(store), systemClock);
    for (let i = 0; i < 10; i++) {
      expect(
        await fresh.authenticate(`guess-${'z'.repeat(40)}-${i}`).catch((e: AuthenticationFailed) => e.code),
      ).toBe('UNAUTHENTICATED');
    }
    expect((await fresh.authenticate(configured)).principal.principalId).toBe('admin');
  });

  it('a configured key is filed under a random id, found by trying it, and replaced when the setting changes', async () => {
    await access.ensurePrincipal('admin', 'Admin', ['ADMIN'], ctx);
    const first = 'first-configured-admin-key-0123456789';
    await access.registerConfiguredKey('admin', first, 'OMS_ADMIN_KEY', ctx);
    // A second instance starting with the same setting: both records match, neither is revoked.
    await new AccessControl(new AggregateStore(store), systemClock).registerConfiguredKey(
      'admin',
      first,
      'OMS_ADMIN_KEY',
      ctx,
    );
    expect(await outcome(first)).toBe('admin');
    const keys = (await access.current()).principals.get('admin')!.keys;
    expect(keys.every((k) => /^cfg-[0-9a-f]{16}$/.test(k.keyId) && !k.revokedAt)).toBe(true);
    expect(keys.map((k) => k.keyId).join()).not.toContain(
      createHash('sha256').update(first).digest('hex').slice(0, 8),
    );
    const second = 'second-configured-admin-key-9876543210';
    await access.registerConfiguredKey('admin', second, 'OMS_ADMIN_KEY', ctx);
    expect(await outcome(second)).toBe('admin');
    expect(await outcome(first)).toMatch(/^UNAUTHENTICATED:/);
  });
});
