import {
  AccessChange,
  AccessCommand,
  AccessRole,
  AccessState,
  Permission,
  Principal,
  accessDecider,
  activeKey,
  permits,
} from '@oms/domain';
import { authenticationFailures, authorisationDenials, Clock } from '@oms/platform';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import { AggregateStore, Loaded } from '../aggregates/aggregate-store';
import { CommandContext, metadataOf } from '../command-context';
import { Refusal } from '../refusal';
import { ACCESS_STREAM } from '../streams';

/** A key this OMS made: `oms_<key id>_<secret>`; the id finds the hash, the secret is 32 random bytes. */
const ISSUED_KEY = /^oms_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/**
 * Anything else presented is a key set by configuration (OMS_ADMIN_KEY): it names no id, so it is tried
 * against the live configured keys (normally one), whose ids are random (`cfg-…`), not derived from it.
 */
const CONFIGURED_KEY = /^[\x21-\x7e]{32,256}$/;
const CONFIGURED_PREFIX = 'cfg-';
/** A compact JWS (three base64url parts): never taken for a configured key. */
const JWS_LIKE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** OWASP's argon2id setting (19 MiB, two passes): about 35 ms a hash here, 10 ms a verification. */
const ARGON2 = {
  // Algorithm.Argon2id: the package's enum is a const enum, which single-file transpiling cannot read.
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};
/** argon2 verifications at once (each takes 19 MiB and a core for ~10 ms); more wait their turn. */
const MAX_VERIFYING = 4;
/** Verifications waiting their turn; past that, AUTHENTICATION_BUSY. */
const MAX_WAITING = 1_000;
/** Wrong keys remembered (by digest), so a client repeating one costs no argon2 run. */
const MAX_REMEMBERED_WRONG = 10_000;

const digestOf = (key: string) => createHash('sha256').update(key).digest();

/** Whether a configured key (OMS_ADMIN_KEY) is long and plain enough to be one, and like no other kind. */
export const isConfigurableKey = (key: string) =>
  CONFIGURED_KEY.test(key) && !ISSUED_KEY.test(key) && !JWS_LIKE.test(key);

/** Who a request is: the principal behind a key that is live now. */
export interface Authenticated {
  principal: Principal;
  keyId: string;
}

/** Why authentication failed, for logs and metrics (the client hears only UNAUTHENTICATED). */
export type AuthenticationFailure =
  'missing' | 'malformed' | 'unknown' | 'revoked' | 'wrong-secret' | 'busy' | 'invalid-token';

export class AuthenticationFailed extends Refusal {
  constructor(readonly reason: AuthenticationFailure) {
    super(
      reason === 'busy' ? 'AUTHENTICATION_BUSY' : 'UNAUTHENTICATED',
      reason === 'busy'
        ? 'Too many keys are being checked at once; try again in a moment.'
        : 'This request needs a valid API key: send it as "Authorization: Bearer <key>".',
    );
  }
}

/**
 * Principals, API keys and grants (stream `access-control`): who a request is, and whether it may do
 * what it asks. Each request reads the stream on from the last revision seen (usually nothing new), so
 * a key revoked through any instance stops working at the next request on every instance.
 *
 * Keys are stored as argon2id hashes only. A key that verified once is remembered in memory by its
 * SHA-256 digest, so later requests compare digests in constant time instead of running argon2 again.
 */
export class AccessControl {
  private loaded: Loaded<AccessState> = { state: accessDecider.initialState(), revision: null };
  private reading: Promise<Loaded<AccessState>> | null = null;
  private readAgain: Promise<Loaded<AccessState>> | null = null;
  private readonly verified = new Map<string, Buffer>();
  private readonly wrong = new Set<string>();
  private verifying = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly aggregates: AggregateStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The access state as the log holds it now. Reads are shared, but never one that began before the
   * call: a revocation committed before it is always seen.
   */
  current(): Promise<AccessState> {
    if (!this.reading) {
      this.reading = this.readOn().finally(() => (this.reading = null));
      return this.reading.then((l) => l.state);
    }
    this.readAgain ??= this.reading
      .catch(() => undefined)
      .then(() => {
        this.readAgain = null;
        return this.current();
      })
      .then(() => this.loaded);
    return this.readAgain.then((l) => l.state);
  }

  private async readOn(): Promise<Loaded<AccessState>> {
    const read = await this.aggregates.load(accessDecider, ACCESS_STREAM, this.loaded);
    // An append through this instance may have moved on meanwhile.
    if ((read.revision ?? -1n) > (this.loaded.revision ?? -1n)) this.loaded = read;
    return this.loaded;
  }

  /** A failed authentication, counted by reason. */
  failure(reason: AuthenticationFailure): AuthenticationFailed {
    authenticationFailures.inc({ reason });
    return new AuthenticationFailed(reason);
  }

  /**
   * The principal a token from the identity provider names (already verified): it must exist here and
   * not be disabled; its roles and grants are this OMS's own.
   */
  async principalNamed(principalId: string): Promise<Principal> {
    const principal = (await this.current()).principals.get(principalId);
    if (!principal) throw this.failure('unknown');
    if (principal.disabledAt) throw this.failure('revoked');
    return principal;
  }

  /**
   * The principal behind a presented key, or AuthenticationFailed: an issued key names its id; a
   * configured one is tried against the live configured keys.
   */
  async authenticate(key: string | null): Promise<Authenticated> {
    if (!key) throw this.failure('missing');
    const issued = ISSUED_KEY.exec(key);
    if (!issued && !CONFIGURED_KEY.test(key)) throw this.failure('malformed');
    const state = await this.current();
    if (issued) return this.authenticateAs(state, issued[1], key);
    const candidates = [...state.keyOwners.keys()].filter(
      (id) => id.startsWith(CONFIGURED_PREFIX) && activeKey(state, id),
    );
    if (candidates.length === 0) throw this.failure('unknown');
    let failure: unknown;
    for (const keyId of candidates) {
      try {
        return await this.authenticateAs(state, keyId, key);
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }

  /** The principal behind a key presented for one key id. */
  private async authenticateAs(state: AccessState, keyId: string, key: string): Promise<Authenticated> {
    const failed = (reason: AuthenticationFailure) => this.failure(reason);
    const live = activeKey(state, keyId);
    if (!live) throw failed(state.keyOwners.has(keyId) ? 'revoked' : 'unknown');
    const digest = digestOf(key);
    const known = this.verified.get(keyId);
    if (known && timingSafeEqual(known, digest)) return { principal: live.principal, keyId };
    const hex = `${keyId}:${digest.toString('hex')}`;
    if (this.wrong.has(hex)) throw failed('wrong-secret');
    // Requests that arrive together with one new key share its one verification; the rest wait their
    // turn. Wrong secrets are not held against the key id: that would let anyone lock a key out.
    let verification = this.inFlight.get(hex);
    if (!verification) {
      verification = this.inTurn(() => argon2Verify(live.key.secretHash, key)).finally(() =>
        this.inFlight.delete(hex),
      );
      this.inFlight.set(hex, verification);
    }
    if (!(await verification)) {
      if (this.wrong.size >= MAX_REMEMBERED_WRONG) this.wrong.clear();
      this.wrong.add(hex);
      throw failed('wrong-secret');
    }
    // Revoked while it was being verified: the state read now says so.
    if (!activeKey(await this.current(), keyId)) throw failed('revoked');
    this.verified.set(keyId, digest);
    return { principal: live.principal, keyId };
  }

  /** Runs an argon2 verification when one of the few slots is free; waits its turn otherwise. */
  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.verifying < MAX_VERIFYING) {
      this.verifying++;
    } else {
      if (this.waiting.length >= MAX_WAITING) throw this.failure('busy');
      // The slot is handed over by the verification that frees it.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.verifying--;
    }
  }

  /** Whether the principal may; a denial is counted. */
  allows(principal: Principal, permission: Permission, accountId?: string): boolean {
    if (permits(principal, permission, accountId)) return true;
    authorisationDenials.inc({ permission });
    return false;
  }

  /**
   * An action on an order: FORBIDDEN when the principal may see the order but not do this, and
   * ORDER_NOT_FOUND when it may not even see it (order ids are guessable: its existence is not told).
   */
  requireOnOrder(principal: Principal, permission: Permission, orderId: string, accountId: string): void {
    if (permits(principal, 'read', accountId)) return this.require(principal, permission, accountId);
    authorisationDenials.inc({ permission });
    throw new Refusal('ORDER_NOT_FOUND', `Order ${orderId} does not exist.`);
  }

  /** FORBIDDEN unless the principal may; counted and sentenced in the role's words. */
  require(principal: Principal, permission: Permission, accountId?: string): void {
    if (this.allows(principal, permission, accountId)) return;
    const on =
      accountId === undefined
        ? ''
        : permission === 'read'
          ? ` account ${accountId}`
          : ` on account ${accountId}`;
    throw new Refusal(
      'FORBIDDEN',
      `${principal.principalId} (${principal.roles.join(', ')}) may not ${PERMISSION_WORDS[permission]}${on}.`,
    );
  }

  /** Decides and appends one access command; a refusal becomes a Refusal. */
  async execute(command: AccessChange, ctx: CommandContext): Promise<AccessState> {
    const outcome = await this.aggregates.execute(
      accessDecider,
      ACCESS_STREAM,
      { ...command, metadata: { now: new Date(this.clock.now()) } } as AccessCommand,
      metadataOf(ctx),
      await this.loadedNow(),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    if (outcome.after.revision !== null && (this.loaded.revision ?? -1n) < outcome.after.revision) {
      this.loaded = outcome.after;
    }
    return outcome.after.state;
  }

  /**
   * A new key for a principal: 32 random bytes, returned once; only its argon2id hash is recorded.
   */
  async issueKey(
    principalId: string,
    label: string,
    ctx: CommandContext,
  ): Promise<{ keyId: string; key: string }> {
    const keyId = randomBytes(8).toString('hex');
    const key = `oms_${keyId}_${randomBytes(32).toString('base64url')}`;
    await this.register(principalId, keyId, key, label, ctx);
    return { keyId, key };
  }

  /**
   * A key chosen elsewhere (OMS_ADMIN_KEY) for a principal: recorded once (under a random id), and
   * the principal's configured keys it does not match revoked, so a changed setting replaces the key
   * before it. Instances starting together may each record it; every copy matches, none is revoked.
   */
  async registerConfiguredKey(
    principalId: string,
    key: string,
    label: string,
    ctx: CommandContext,
  ): Promise<void> {
    const state = await this.current();
    const configured = (state.principals.get(principalId)?.keys ?? []).filter(
      (k) => k.keyId.startsWith(CONFIGURED_PREFIX) && !k.revokedAt,
    );
    const digest = digestOf(key);
    const stale: string[] = [];
    let current: string | null = null;
    for (const { keyId, secretHash } of configured) {
      if (await argon2Verify(secretHash, key)) current = keyId;
      else stale.push(keyId);
    }
    if (!current) {
      current = `${CONFIGURED_PREFIX}${randomBytes(8).toString('hex')}`;
      await this.register(principalId, current, key, label, ctx);
    }
    // Known good from here on: no argon2 run for it, whatever else is tried meanwhile.
    this.verified.set(current, digest);
    // Only once the new key stands are the ones it replaces revoked.
    for (const keyId of stale) {
      await this.execute({ type: 'RevokeApiKey', data: { keyId, reason: `${label} changed` } }, ctx);
    }
  }

  private async register(
    principalId: string,
    keyId: string,
    key: string,
    label: string,
    ctx: CommandContext,
  ) {
    const secretHash = await argon2Hash(key, ARGON2);
    await this.execute({ type: 'IssueApiKey', data: { principalId, keyId, label, secretHash } }, ctx);
  }

  /** A principal with its roles, created if it is not there yet (the same terms again change nothing). */
  ensurePrincipal(principalId: string, name: string, roles: AccessRole[], ctx: CommandContext) {
    return this.execute({ type: 'CreatePrincipal', data: { principalId, name, roles } }, ctx);
  }

  private async loadedNow(): Promise<Loaded<AccessState>> {
    await this.current();
    return this.loaded;
  }
}

const PERMISSION_WORDS: Record<Permission, string> = {
  trade: 'place or replace orders',
  cancel: 'cancel orders',
  read: 'read',
  'manage-risk': 'change risk limits or halt trading',
  audit: 'read the audit log',
  administer: 'manage principals, keys, grants, accounts or instruments',
  monitor: 'read the metrics',
  'market-data': 'read market data',
};
