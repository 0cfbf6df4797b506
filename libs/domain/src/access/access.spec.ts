import { deciderSpec } from '../testing/decider-spec';
import { at, iso } from '../testing/fixtures';
import { AccessEvent, accessDecider, activeKey } from './access';
import { permits, readableAccounts } from './access.policy';

const spec = deciderSpec(accessDecider);

const created = (
  principalId: string,
  ...roles: ('TRADER' | 'RISK_OFFICER' | 'AUDITOR' | 'ADMIN')[]
): AccessEvent => ({
  type: 'PrincipalCreated',
  data: { principalId, name: principalId, roles, createdAt: iso() },
});
const issued = (principalId: string, keyId: string): AccessEvent => ({
  type: 'ApiKeyIssued',
  data: { principalId, keyId, label: 'desk', secretHash: '$argon2id$x', issuedAt: iso() },
});
const granted = (principalId: string, accountId: string): AccessEvent => ({
  type: 'AccountGranted',
  data: { principalId, accountId, reason: 'desk A', grantedAt: iso() },
});

describe('access control', () => {
  it('creates a principal once; the same terms again are a repeat, other terms are refused', () => {
    spec
      .given()
      .when({
        type: 'CreatePrincipal',
        data: { principalId: 'ann', name: 'ann', roles: ['TRADER'] },
        metadata: at(),
      })
      .then(created('ann', 'TRADER'));
    spec
      .given(created('ann', 'TRADER'))
      .when({
        type: 'CreatePrincipal',
        data: { principalId: 'ann', name: 'ann', roles: ['TRADER'] },
        metadata: at(),
      })
      .thenNothing();
    spec
      .given(created('ann', 'TRADER'))
      .when({
        type: 'CreatePrincipal',
        data: { principalId: 'ann', name: 'ann', roles: ['ADMIN'] },
        metadata: at(),
      })
      .thenRejects('PRINCIPAL_EXISTS');
    spec
      .given()
      .when({ type: 'CreatePrincipal', data: { principalId: 'x', name: 'x', roles: [] }, metadata: at() })
      .thenRejects('INVALID_ROLES');
  });

  it('issues a key to a known principal, never twice under one id, and revokes it', () => {
    const state = spec
      .given(created('ann', 'TRADER'))
      .when({
        type: 'IssueApiKey',
        data: { principalId: 'ann', keyId: 'k1', label: 'desk', secretHash: '$argon2id$x' },
        metadata: at(),
      })
      .then(issued('ann', 'k1'));
    expect(activeKey(state, 'k1')?.principal.principalId).toBe('ann');
    spec
      .given(created('ann', 'TRADER'), issued('ann', 'k1'))
      .when({
        type: 'IssueApiKey',
        data: { principalId: 'ann', keyId: 'k1', label: 'again', secretHash: '$argon2id$y' },
        metadata: at(),
      })
      .thenRejects('KEY_EXISTS');
    const revoked = spec
      .given(created('ann', 'TRADER'), issued('ann', 'k1'))
      .when({ type: 'RevokeApiKey', data: { keyId: 'k1', reason: 'left the desk' }, metadata: at() })
      .then({
        type: 'ApiKeyRevoked',
        data: { principalId: 'ann', keyId: 'k1', reason: 'left the desk', revokedAt: iso() },
      });
    expect(activeKey(revoked, 'k1')).toBeNull();
    spec
      .given()
      .when({ type: 'RevokeApiKey', data: { keyId: 'nope', reason: 'x' }, metadata: at() })
      .thenRejects('KEY_NOT_FOUND');
  });

  it('a disabled principal keeps no working key and is given nothing more', () => {
    const state = spec
      .given(created('ann', 'TRADER'), issued('ann', 'k1'))
      .when({ type: 'DisablePrincipal', data: { principalId: 'ann', reason: 'left' }, metadata: at() })
      .then({ type: 'PrincipalDisabled', data: { principalId: 'ann', reason: 'left', disabledAt: iso() } });
    expect(activeKey(state, 'k1')).toBeNull();
    spec
      .given(created('ann', 'TRADER'), {
        type: 'PrincipalDisabled',
        data: { principalId: 'ann', reason: 'left', disabledAt: iso() },
      })
      .when({
        type: 'GrantAccount',
        data: { principalId: 'ann', accountId: 'a', reason: 'x' },
        metadata: at(),
      })
      .thenRejects('PRINCIPAL_DISABLED');
  });

  it('the last admin who can still act is not disabled: nobody could manage access after it', () => {
    spec
      .given(created('adm', 'ADMIN'), created('ann', 'TRADER'))
      .when({ type: 'DisablePrincipal', data: { principalId: 'adm', reason: 'oops' }, metadata: at() })
      .thenRejects('LAST_ADMIN');
    spec
      .given(created('adm', 'ADMIN'), created('adm2', 'ADMIN'))
      .when({ type: 'DisablePrincipal', data: { principalId: 'adm', reason: 'left' }, metadata: at() })
      .then({ type: 'PrincipalDisabled', data: { principalId: 'adm', reason: 'left', disabledAt: iso() } });
  });

  it('grants accounts to traders only, and takes them back', () => {
    spec
      .given(created('rob', 'RISK_OFFICER'))
      .when({
        type: 'GrantAccount',
        data: { principalId: 'rob', accountId: 'a', reason: 'x' },
        metadata: at(),
      })
      .thenRejects('NOT_A_TRADER');
    spec
      .given(created('ann', 'TRADER'), granted('ann', 'a'))
      .when({
        type: 'GrantAccount',
        data: { principalId: 'ann', accountId: 'a', reason: 'again' },
        metadata: at(),
      })
      .thenNothing();
    const state = spec
      .given(created('ann', 'TRADER'), granted('ann', 'a'))
      .when({
        type: 'RevokeAccountGrant',
        data: { principalId: 'ann', accountId: 'a', reason: 'moved' },
        metadata: at(),
      })
      .then({
        type: 'AccountGrantRevoked',
        data: { principalId: 'ann', accountId: 'a', reason: 'moved', revokedAt: iso() },
      });
    expect(state.principals.get('ann')?.accounts).toEqual([]);
  });
});

describe('who may do what', () => {
  const state = [
    created('ann', 'TRADER'),
    granted('ann', 'a'),
    created('rob', 'RISK_OFFICER'),
    created('aud', 'AUDITOR'),
    created('adm', 'ADMIN'),
  ].reduce(accessDecider.evolve, accessDecider.initialState());
  const [ann, rob, aud, adm] = ['ann', 'rob', 'aud', 'adm'].map((id) => state.principals.get(id)!);

  it('a trader trades, cancels and reads its granted accounts and nothing else', () => {
    expect(['trade', 'cancel', 'read'].map((p) => permits(ann, p as 'trade', 'a'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['trade', 'cancel', 'read'].map((p) => permits(ann, p as 'trade', 'b'))).toEqual([
      false,
      false,
      false,
    ]);
    expect(['manage-risk', 'audit', 'administer'].map((p) => permits(ann, p as 'audit'))).toEqual([
      false,
      false,
      false,
    ]);
    expect(readableAccounts(ann)).toEqual(['a']);
  });

  it('a risk officer sets limits, halts, cancels and reads anywhere, and places nothing', () => {
    expect(permits(rob, 'manage-risk')).toBe(true);
    expect(permits(rob, 'cancel', 'b')).toBe(true);
    expect(permits(rob, 'read', 'b')).toBe(true);
    expect(permits(rob, 'trade', 'b')).toBe(false);
    expect(readableAccounts(rob)).toBe('ALL');
  });

  it('an auditor reads everything, the log included, and changes nothing', () => {
    expect(permits(aud, 'read', 'b')).toBe(true);
    expect(permits(aud, 'audit')).toBe(true);
    expect(['trade', 'cancel'].map((p) => permits(aud, p as 'trade', 'a'))).toEqual([false, false]);
    expect(['manage-risk', 'administer'].map((p) => permits(aud, p as 'audit'))).toEqual([false, false]);
  });

  it('an admin manages access and reads no account', () => {
    expect(permits(adm, 'administer')).toBe(true);
    expect(permits(adm, 'read', 'a')).toBe(false);
    expect(readableAccounts(adm)).toEqual([]);
  });

  it('market data is for those who trade or judge trading: traders, risk officers and auditors', () => {
    expect([ann, rob, aud, adm].map((p) => permits(p, 'market-data'))).toEqual([true, true, true, false]);
    // A trader without a single granted account still sees the market.
    const bea = [created('bea', 'TRADER')].reduce(accessDecider.evolve, accessDecider.initialState());
    expect(permits(bea.principals.get('bea')!, 'market-data')).toBe(true);
  });

  it('a disabled principal may do nothing', () => {
    expect(permits({ ...rob, disabledAt: iso() }, 'manage-risk')).toBe(false);
  });
});

describe('ids that are names of object members', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'a principal called %s is an ordinary principal, and no key of one that does not exist is issued',
    (principalId) => {
      spec
        .given()
        .when({
          type: 'IssueApiKey',
          data: { principalId, keyId: 'k1', label: 'desk', secretHash: '$argon2id$x' },
          metadata: at(),
        })
        .thenRejects('PRINCIPAL_NOT_FOUND');
      const state = spec
        .given(created(principalId, 'TRADER'))
        .when({
          type: 'IssueApiKey',
          data: { principalId, keyId: 'k1', label: 'desk', secretHash: '$argon2id$x' },
          metadata: at(),
        })
        .then(issued(principalId, 'k1'));
      expect(activeKey(state, 'k1')?.principal.principalId).toBe(principalId);
      expect(activeKey(state, 'constructor')).toBeNull();
    },
  );
});
