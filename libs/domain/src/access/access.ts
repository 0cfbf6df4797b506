import { Command, Decider, Decision, DomainEvent, accept, assertNever, reject } from '../shared/decision';
import { isoTimestamp } from '../shared/time';

/**
 * Who may do what (stream `access-control`): principals with roles, their API keys (argon2id hashes
 * only; the key itself is shown once and never stored), and the accounts granted to traders. Every
 * change is an event with its actor and reason, so access itself is auditable.
 */
export const ACCESS_ROLES = ['TRADER', 'RISK_OFFICER', 'AUDITOR', 'ADMIN'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

export interface ApiKey {
  keyId: string;
  label: string;
  /** argon2id, with its parameters and salt (PHC string). */
  secretHash: string;
  issuedAt: string;
  revokedAt: string | null;
}

export interface Principal {
  principalId: string;
  name: string;
  roles: AccessRole[];
  /** Accounts a TRADER trades and reads; the other roles reach accounts by role. */
  accounts: string[];
  createdAt: string;
  disabledAt: string | null;
  keys: ApiKey[];
}

/** Maps, not objects: an id such as `constructor` is an id like any other. */
export interface AccessState {
  principals: ReadonlyMap<string, Principal>;
  /** keyId → principalId, for the one lookup each request makes. */
  keyOwners: ReadonlyMap<string, string>;
}

export type AccessEvent =
  | DomainEvent<
      'PrincipalCreated',
      { principalId: string; name: string; roles: AccessRole[]; createdAt: string }
    >
  | DomainEvent<'PrincipalDisabled', { principalId: string; reason: string; disabledAt: string }>
  | DomainEvent<
      'ApiKeyIssued',
      { principalId: string; keyId: string; label: string; secretHash: string; issuedAt: string }
    >
  | DomainEvent<'ApiKeyRevoked', { principalId: string; keyId: string; reason: string; revokedAt: string }>
  | DomainEvent<
      'AccountGranted',
      { principalId: string; accountId: string; reason: string; grantedAt: string }
    >
  | DomainEvent<
      'AccountGrantRevoked',
      { principalId: string; accountId: string; reason: string; revokedAt: string }
    >;

export type AccessEventType = AccessEvent['type'];

export type AccessCommand =
  | Command<'CreatePrincipal', { principalId: string; name: string; roles: AccessRole[] }>
  | Command<'DisablePrincipal', { principalId: string; reason: string }>
  | Command<'IssueApiKey', { principalId: string; keyId: string; label: string; secretHash: string }>
  | Command<'RevokeApiKey', { keyId: string; reason: string }>
  | Command<'GrantAccount', { principalId: string; accountId: string; reason: string }>
  | Command<'RevokeAccountGrant', { principalId: string; accountId: string; reason: string }>;

/** An access command as a caller states it; the time comes with it when it is decided. */
export type AccessChange = {
  [K in AccessCommand['type']]: Omit<Extract<AccessCommand, { type: K }>, 'metadata'>;
}[AccessCommand['type']];

const sameRoles = (a: readonly AccessRole[], b: readonly AccessRole[]) =>
  a.length === b.length && a.every((r) => b.includes(r));

export function decideAccess(command: AccessCommand, state: AccessState): Decision<AccessEvent> {
  const now = isoTimestamp(command.metadata.now);
  const existing = 'principalId' in command.data ? state.principals.get(command.data.principalId) : undefined;
  const unknown = (id: string) => reject<AccessEvent>('PRINCIPAL_NOT_FOUND', `No principal ${id} exists.`);
  const disabled = (p: Principal) =>
    reject<AccessEvent>(
      'PRINCIPAL_DISABLED',
      `Principal ${p.principalId} was disabled; nothing more changes.`,
    );
  switch (command.type) {
    case 'CreatePrincipal': {
      const { principalId, name, roles } = command.data;
      if (roles.length === 0 || new Set(roles).size !== roles.length) {
        return reject('INVALID_ROLES', 'A principal needs one or more roles, each named once.');
      }
      if (existing) {
        // Creating the same principal again is a repeat, not a change.
        if (existing.name === name && sameRoles(existing.roles, roles) && !existing.disabledAt)
          return accept();
        return reject('PRINCIPAL_EXISTS', `Principal ${principalId} already exists with other terms.`);
      }
      return accept({
        type: 'PrincipalCreated',
        data: { principalId, name, roles: [...roles], createdAt: now },
      });
    }
    case 'DisablePrincipal': {
      if (!existing) return unknown(command.data.principalId);
      if (existing.disabledAt) return accept();
      const otherAdmins = [...state.principals.values()].filter(
        (p) => p.principalId !== existing.principalId && p.roles.includes('ADMIN') && !p.disabledAt,
      );
      if (existing.roles.includes('ADMIN') && otherAdmins.length === 0) {
        return reject(
          'LAST_ADMIN',
          `${existing.principalId} is the last admin that can act; make another before disabling it.`,
        );
      }
      return accept({
        type: 'PrincipalDisabled',
        data: { principalId: existing.principalId, reason: command.data.reason, disabledAt: now },
      });
    }
    case 'IssueApiKey': {
      if (!existing) return unknown(command.data.principalId);
      if (existing.disabledAt) return disabled(existing);
      if (state.keyOwners.has(command.data.keyId)) {
        return reject('KEY_EXISTS', `A key with id ${command.data.keyId} exists already.`);
      }
      return accept({ type: 'ApiKeyIssued', data: { ...command.data, issuedAt: now } });
    }
    case 'RevokeApiKey': {
      const owner = state.keyOwners.get(command.data.keyId);
      const key = owner
        ? state.principals.get(owner)?.keys.find((k) => k.keyId === command.data.keyId)
        : undefined;
      if (!owner || !key) return reject('KEY_NOT_FOUND', `No API key ${command.data.keyId} exists.`);
      if (key.revokedAt) return accept();
      return accept({
        type: 'ApiKeyRevoked',
        data: { principalId: owner, keyId: key.keyId, reason: command.data.reason, revokedAt: now },
      });
    }
    case 'GrantAccount': {
      if (!existing) return unknown(command.data.principalId);
      if (existing.disabledAt) return disabled(existing);
      if (!existing.roles.includes('TRADER')) {
        return reject(
          'NOT_A_TRADER',
          `Accounts are granted to traders; ${existing.principalId} is ${existing.roles.join(', ')} and reaches accounts by role.`,
        );
      }
      if (existing.accounts.includes(command.data.accountId)) return accept();
      return accept({ type: 'AccountGranted', data: { ...command.data, grantedAt: now } });
    }
    case 'RevokeAccountGrant': {
      if (!existing) return unknown(command.data.principalId);
      if (!existing.accounts.includes(command.data.accountId)) return accept();
      return accept({ type: 'AccountGrantRevoked', data: { ...command.data, revokedAt: now } });
    }
    default:
      return assertNever(command);
  }
}

function withPrincipal(
  state: AccessState,
  principalId: string,
  change: (p: Principal) => Principal,
): AccessState {
  const principal = state.principals.get(principalId);
  if (!principal) return state;
  return { ...state, principals: new Map(state.principals).set(principalId, change(principal)) };
}

export function evolveAccess(state: AccessState, event: AccessEvent): AccessState {
  switch (event.type) {
    case 'PrincipalCreated': {
      const { principalId, name, roles, createdAt } = event.data;
      return {
        ...state,
        principals: new Map(state.principals).set(principalId, {
          principalId,
          name,
          roles,
          accounts: [],
          createdAt,
          disabledAt: null,
          keys: [],
        }),
      };
    }
    case 'PrincipalDisabled':
      return withPrincipal(state, event.data.principalId, (p) => ({
        ...p,
        disabledAt: event.data.disabledAt,
      }));
    case 'ApiKeyIssued': {
      const { principalId, keyId, label, secretHash, issuedAt } = event.data;
      const next = withPrincipal(state, principalId, (p) => ({
        ...p,
        keys: [...p.keys, { keyId, label, secretHash, issuedAt, revokedAt: null }],
      }));
      return { ...next, keyOwners: new Map(next.keyOwners).set(keyId, principalId) };
    }
    case 'ApiKeyRevoked':
      return withPrincipal(state, event.data.principalId, (p) => ({
        ...p,
        keys: p.keys.map((k) =>
          k.keyId === event.data.keyId ? { ...k, revokedAt: event.data.revokedAt } : k,
        ),
      }));
    case 'AccountGranted':
      return withPrincipal(state, event.data.principalId, (p) => ({
        ...p,
        accounts: [...p.accounts, event.data.accountId],
      }));
    case 'AccountGrantRevoked':
      return withPrincipal(state, event.data.principalId, (p) => ({
        ...p,
        accounts: p.accounts.filter((a) => a !== event.data.accountId),
      }));
    default:
      return assertNever(event);
  }
}

export const accessDecider: Decider<AccessCommand, AccessEvent, AccessState> = {
  decide: decideAccess,
  evolve: evolveAccess,
  initialState: (): AccessState => ({ principals: new Map(), keyOwners: new Map() }),
};

/** The key a request presented, if it is one the state knows and still honours. */
export function activeKey(state: AccessState, keyId: string): { principal: Principal; key: ApiKey } | null {
  const owner = state.keyOwners.get(keyId);
  const principal = owner ? state.principals.get(owner) : undefined;
  const key = principal?.keys.find((k) => k.keyId === keyId);
  if (!principal || !key || key.revokedAt || principal.disabledAt) return null;
  return { principal, key };
}
