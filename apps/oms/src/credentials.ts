import { AccessControl, AuthenticationFailed, CommandContext, DEMO_ACCOUNT } from '@oms/application';
import { AccessRole } from '@oms/domain';
import { Logger } from '@oms/platform';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';

/** One key per demo role, as `demo-credentials.json` holds them. */
export interface DemoCredentials {
  trader: string;
  riskOfficer: string;
  auditor: string;
  admin: string;
}

/** What start-up made sure of: the admin key (when it made one) and the demo keys, and where they are. */
export interface Credentials {
  /** A key generated for the admin at this start (never one from OMS_ADMIN_KEY); null: none made. */
  adminKey: string | null;
  adminKeyFile: string | null;
  demo: DemoCredentials | null;
  demoFile: string | null;
}

export const ADMIN_PRINCIPAL = 'admin';

const DEMO_PRINCIPALS: Record<keyof DemoCredentials, { id: string; name: string; role: AccessRole }> = {
  trader: { id: 'demo-trader', name: 'Demo trader', role: 'TRADER' },
  riskOfficer: { id: 'demo-risk-officer', name: 'Demo risk officer', role: 'RISK_OFFICER' },
  auditor: { id: 'demo-auditor', name: 'Demo auditor', role: 'AUDITOR' },
  admin: { id: 'demo-admin', name: 'Demo admin', role: 'ADMIN' },
};

const ctx: CommandContext = { actor: 'system:bootstrap', correlationId: 'bootstrap-access' };

/** A secret file: written whole or not at all, readable by its owner only. */
function writeSecret(path: string, content: unknown): void {
  const temporary = `${path}.new`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Whether a key still authenticates as the principal (a file from an earlier start is reused then). */
async function stillWorks(access: AccessControl, key: unknown, principalId: string): Promise<boolean> {
  if (typeof key !== 'string') return false;
  try {
    return (await access.authenticate(key)).principal.principalId === principalId;
  } catch (error) {
    if (error instanceof AuthenticationFailed) return false;
    throw error;
  }
}

/**
 * Access on a first start, and on every start after: the `admin` principal with a key, from
 * OMS_ADMIN_KEY or generated once into `<data dir>/credentials.json` (0600; the key is never logged);
 * with the demo seeded, one principal per role, the trader granted the demo account, their keys in
 * `<data dir>/demo-credentials.json` (0600). Keys in files from an earlier start are kept while they
 * work. Without a data directory (tests), generated keys are only returned. A changed OMS_ADMIN_KEY
 * revokes the one before it.
 */
export async function bootstrapCredentials(
  access: AccessControl,
  options: { adminKey: string | null; dataDir: string; seedDemo: boolean },
  logger: Logger,
): Promise<Credentials> {
  const dir = options.dataDir ? resolve(options.dataDir) : null;
  const credentials: Credentials = { adminKey: null, adminKeyFile: null, demo: null, demoFile: null };
  const admin = (await access.current()).principals.get(ADMIN_PRINCIPAL);
  if (!admin) await access.ensurePrincipal(ADMIN_PRINCIPAL, 'Administrator', ['ADMIN'], ctx);
  if (admin?.disabledAt) {
    // Another admin disabled it: start without its key (the other admins manage access).
    logger.warn(
      { principal: ADMIN_PRINCIPAL },
      'the admin principal is disabled: no ADMIN key is set up at start',
    );
  } else if (options.adminKey) {
    await access.registerConfiguredKey(ADMIN_PRINCIPAL, options.adminKey, 'OMS_ADMIN_KEY', ctx);
  } else {
    const file = dir ? join(dir, 'credentials.json') : null;
    const kept = file && existsSync(file) ? readJson(file)?.admin : undefined;
    if (file && (await stillWorks(access, kept, ADMIN_PRINCIPAL))) {
      credentials.adminKeyFile = file;
    } else {
      const { key } = await access.issueKey(ADMIN_PRINCIPAL, 'generated at start-up', ctx);
      credentials.adminKey = key;
      if (file) {
        writeSecret(file, { admin: key });
        credentials.adminKeyFile = file;
        logger.info({ file }, `an ADMIN key was generated and written to ${file} (mode 0600)`);
      }
    }
  }
  if (options.seedDemo) await bootstrapDemo(access, dir, credentials);
  return credentials;
}

async function bootstrapDemo(access: AccessControl, dir: string | null, credentials: Credentials) {
  // Made once, when absent: what an admin changed since (a principal disabled, a grant withdrawn) stays.
  const before = await access.current();
  for (const { id, name, role } of Object.values(DEMO_PRINCIPALS)) {
    if (before.principals.has(id)) continue;
    await access.ensurePrincipal(id, name, [role], ctx);
    if (role === 'TRADER') {
      await access.execute(
        { type: 'GrantAccount', data: { principalId: id, accountId: DEMO_ACCOUNT, reason: 'the demo desk' } },
        ctx,
      );
    }
  }
  const file = dir ? join(dir, 'demo-credentials.json') : null;
  const kept = (file && existsSync(file) ? readJson(file) : null) ?? {};
  const state = await access.current();
  const demo = {} as DemoCredentials;
  let changed = false;
  for (const role of Object.keys(DEMO_PRINCIPALS) as (keyof DemoCredentials)[]) {
    const { id } = DEMO_PRINCIPALS[role];
    if (await stillWorks(access, kept[role], id)) {
      demo[role] = kept[role] as string;
      continue;
    }
    changed = true;
    // A disabled demo principal gets no key; keys issued before stay valid (another API instance on
    // the same log may be handing them out).
    demo[role] = state.principals.get(id)?.disabledAt ? '' : (await access.issueKey(id, 'demo', ctx)).key;
  }
  if (file && changed) writeSecret(file, demo);
  credentials.demo = demo;
  credentials.demoFile = file;
}
