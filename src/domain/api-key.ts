import { ROLES, type Role } from './roles.js';

/**
 * API keys: long-lived credentials an organization's admins make for integrations, sent as
 * `Authorization: Bearer amss_…`. A key acts for the user who created it (its owner, who answers
 * for it in the audit log) with the rights of its scope, never more than the owner may grant.
 */

/** What a key may do: only read (`read_only`), or everything one role may. */
export const API_KEY_SCOPES = ['read_only', ...ROLES] as const;

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The start of every key's secret: tells a key from a JWT, and lets secret scanners find leaked keys. */
export const API_KEY_PREFIX = 'amss_';

/** How many characters of a key (after `amss_`) its list entry shows, to tell keys apart. */
export const API_KEY_HINT_LENGTH = 8;

/** Longest key name. */
export const MAX_API_KEY_NAME_LENGTH = 100;

/** An API key; its secret is never kept, only its SHA-256. */
export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  scope: ApiKeyScope;
  /** `amss_` and the secret's first characters, enough to recognise it, far too few to use it. */
  hint: string;
  /** The user the key acts for. */
  createdBy: string;
  createdAt: Date;
  /** When a request last used the key (to within a few seconds); null until then. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Whether a bearer credential is an API key rather than a JWT. */
export const isApiKeySecret = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** The role whose rights a key of `scope` has: `read_only` has the auditor's, the specification's read-only role. */
export const scopeRole = (scope: ApiKeyScope): Role => (scope === 'read_only' ? 'auditor' : scope);

/**
 * Why a user of `holderRole` may not create (or keep using) a key of `scope`, or undefined when
 * they may: admins and tenant admins hold keys; only an admin holds an admin key.
 */
export function apiKeyScopeRefusal(holderRole: Role, scope: ApiKeyScope): string | undefined {
  if (holderRole !== 'admin' && holderRole !== 'tenant_admin') {
    return 'only admins and tenant admins create API keys';
  }
  if (scope === 'admin' && holderRole !== 'admin') return 'only an admin may create an admin API key';
  return undefined;
}
