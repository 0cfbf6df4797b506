import { Principal } from './access';

/**
 * What a request asks to do, in the words of the roles:
 * - `trade`: place and replace orders of an account;
 * - `cancel`: cancel orders of an account, one or all;
 * - `read`: an account's orders, positions, P&L, limits, histories and updates;
 * - `manage-risk`: risk limits, halts and resumes;
 * - `audit`: the log itself (audit trail, chain verification and anchor);
 * - `administer`: principals, keys, grants, accounts and instruments;
 * - `monitor`: the process's metrics;
 * - `market-data`: books, quotes, trades, reference prices and venue status, queried or subscribed.
 */
export type Permission =
  'trade' | 'cancel' | 'read' | 'manage-risk' | 'audit' | 'administer' | 'monitor' | 'market-data';

const ACCOUNT_PERMISSIONS: readonly Permission[] = ['trade', 'cancel', 'read'];

/** Whether a permission is about one account (and must name it). */
export const isAccountPermission = (permission: Permission): boolean =>
  ACCOUNT_PERMISSIONS.includes(permission);

/**
 * The one rule of who may do what. A TRADER trades, cancels and reads the accounts granted to it; a
 * RISK_OFFICER sets limits, halts, cancels on any account and reads every account; an AUDITOR reads
 * everything, the log included, and changes nothing; an ADMIN manages access and reference data.
 * A disabled principal may do nothing.
 */
export function permits(principal: Principal, permission: Permission, accountId?: string): boolean {
  if (principal.disabledAt) return false;
  const has = (role: Principal['roles'][number]) => principal.roles.includes(role);
  const granted = accountId !== undefined && has('TRADER') && principal.accounts.includes(accountId);
  switch (permission) {
    case 'trade':
      return granted;
    case 'cancel':
      return granted || has('RISK_OFFICER');
    case 'read':
      return granted || has('RISK_OFFICER') || has('AUDITOR');
    case 'manage-risk':
      return has('RISK_OFFICER');
    case 'audit':
      return has('AUDITOR');
    case 'administer':
      return has('ADMIN');
    case 'monitor':
      // Those who run and watch the OMS; a trader's view is its own accounts.
      return has('RISK_OFFICER') || has('AUDITOR') || has('ADMIN');
    case 'market-data':
      // Whoever trades or judges trading; an admin's work is access and reference data.
      return has('TRADER') || has('RISK_OFFICER') || has('AUDITOR');
  }
}

/** The accounts a principal may read: every one, or those granted to it. */
export function readableAccounts(principal: Principal): 'ALL' | readonly string[] {
  if (principal.disabledAt) return [];
  if (principal.roles.includes('RISK_OFFICER') || principal.roles.includes('AUDITOR')) return 'ALL';
  return principal.roles.includes('TRADER') ? principal.accounts : [];
}
