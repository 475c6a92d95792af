import { LRUCache } from 'lru-cache';
import type { ApiKeyScope } from '../domain/api-key.js';
import type { Role } from '../domain/roles.js';

/**
 * Who a bearer credential speaks for, as the database has it now: a token's claims are what was
 * true when it was signed, so a deleted user, a changed role or a revoked key are read from here.
 */

/** How long a principal's state is trusted in process before it is read again: revocations take effect within this. */
export const DEFAULT_PRINCIPAL_CACHE_TTL_MS = 5_000;

/** The state of a signed-in user that authentication needs; only for a live user of a live organization. */
export interface UserPrincipal {
  orgId: string;
  userId: string;
  /** The role now, which replaces the token's (possibly stale) `role` claim. */
  role: Role;
  /** Tokens issued before this instant are refused (a password change signs the user out everywhere). */
  sessionsRevokedAt: Date | null;
}

/** The state of an API key that authentication needs; only for a live key of a live owner in a live organization. */
export interface ApiKeyPrincipal {
  id: string;
  orgId: string;
  name: string;
  scope: ApiKeyScope;
  /** The user the key acts for, and their role now: a key never outlives its owner's right to hold it. */
  ownerId: string;
  ownerRole: Role;
}

/** Reads principals; one indexed lookup each. */
export interface PrincipalDirectory {
  /** The user while both it and its organization are live; undefined otherwise. */
  findUser(orgId: string, userId: string): Promise<UserPrincipal | undefined>;
  /**
   * The key with this secret hash while it, its owner and its organization are live; stamps its
   * `last_used_at` in the same statement (so at most once per cache TTL and process).
   */
  useApiKey(secretHash: string): Promise<ApiKeyPrincipal | undefined>;
}

/**
 * Whose cached state a change makes stale: one API key, one user (and the keys acting for them),
 * or with only `orgId` every principal of that organization.
 */
export interface RevocationSubject {
  orgId: string;
  userId?: string;
  apiKeyId?: string;
}

/**
 * Tells every server process (every replica, over Redis pub/sub; in process without Redis) that
 * a principal changed, so each drops what it cached at once instead of after the cache TTL.
 */
export interface Revocations {
  /** Announces a committed change. Never throws: when it cannot reach the others the TTL still bounds them. */
  announce(subject: RevocationSubject): Promise<void>;
  /** Calls `listener` for every announcement, this process's own included. */
  subscribe(listener: (subject: RevocationSubject) => void): void;
}

/** What one cache entry belongs to, so an announcement finds the entries it makes stale. */
interface Owner {
  orgId: string;
  userId?: string | undefined;
  apiKeyId?: string | undefined;
}

interface Entry<T> {
  value: T | undefined;
  owner: Owner | undefined;
  expiresAt: number;
}

/**
 * Principal state cached in process for a few seconds, so a request costs no query while its
 * principal's state is fresh: one indexed lookup per principal per TTL and process, concurrent
 * misses share it. An announced revocation drops the matching entries at once, and any lookup
 * still running when one arrives is not kept.
 */
export class PrincipalCache<T> {
  private readonly entries: LRUCache<string, Entry<T>>;
  private readonly loading = new Map<string, Promise<T | undefined>>();
  /** Bumped by every revocation: a lookup that started before one may have read the old state. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number | undefined; now?: (() => number) | undefined; max?: number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_PRINCIPAL_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
    this.entries = new LRUCache({ max: options.max ?? 10_000 });
  }

  /** The cached value of `key`, or what `load` reads (undefined: no such live principal, cached too). */
  async get(
    key: string,
    owner: (value: T | undefined) => Owner | undefined,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.value;
    let pending = this.loading.get(key);
    if (!pending) {
      const generation = this.generation;
      const started: Promise<T | undefined> = load()
        .then((value) => {
          if (generation === this.generation && this.ttlMs > 0) {
            this.entries.set(key, { value, owner: owner(value), expiresAt: this.now() + this.ttlMs });
          }
          return value;
        })
        .finally(() => {
          if (this.loading.get(key) === started) this.loading.delete(key);
        });
      this.loading.set(key, started);
      pending = started;
    }
    return pending;
  }

  /** Drops every entry the change to `subject` makes stale. */
  forget(subject: RevocationSubject): void {
    this.generation += 1;
    // Requests from now on read afresh rather than join a lookup that may predate the change.
    this.loading.clear();
    for (const [key, entry] of this.entries.entries()) {
      const owner = entry.owner;
      if (owner?.orgId === subject.orgId && stales(owner, subject)) this.entries.delete(key);
    }
  }
}

/** Whether a change to `subject` makes the entry of `owner` (same organization) stale. */
function stales(owner: Owner, subject: RevocationSubject): boolean {
  if (subject.apiKeyId !== undefined) return owner.apiKeyId === subject.apiKeyId;
  if (subject.userId !== undefined) return owner.userId === subject.userId;
  return true;
}
