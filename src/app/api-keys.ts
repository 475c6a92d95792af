import { randomBytes } from 'node:crypto';
import { hashToken } from '../auth/tokens.js';
import {
  API_KEY_HINT_LENGTH,
  API_KEY_PREFIX,
  apiKeyScopeRefusal,
  type ApiKey,
  type ApiKeyScope,
} from '../domain/api-key.js';
import type { EventType } from '../domain/events.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor, UserActor } from './actor.js';
import type { AuditAction } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { ApiKeyPrincipal, Revocations } from './principals.js';
import type { UnitOfWork } from './ports.js';

/** An API key as the API, audit rows and events show it: never its secret nor the secret's hash. */
export type ApiKeyView = {
  id: string;
  org_id: string;
  name: string;
  scope: ApiKeyScope;
  hint: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

/** The view of an API key. */
export const apiKeyView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  org_id: key.orgId,
  name: key.name,
  scope: key.scope,
  hint: key.hint,
  created_by: key.createdBy,
  created_at: key.createdAt.toISOString(),
  last_used_at: key.lastUsedAt?.toISOString() ?? null,
  revoked_at: key.revokedAt?.toISOString() ?? null,
});

/** A key to store: its secret only as a hash. */
export interface NewApiKey {
  orgId: string;
  name: string;
  scope: ApiKeyScope;
  secretHash: string;
  hint: string;
  createdBy: string;
}

/** Persistence of API keys; every method but the authentication lookup is scoped to one organization. */
export interface ApiKeyRepository {
  insert(input: NewApiKey): Promise<ApiKey>;
  /** A live (not revoked) key of the org. */
  find(orgId: string, id: string): Promise<ApiKey | undefined>;
  /** Live keys, oldest first; fetches `page.limit + 1` rows. */
  list(orgId: string, page: Page): Promise<ApiKey[]>;
  /** Revokes a live key; the key as revoked, or undefined when there is none. */
  revoke(orgId: string, id: string): Promise<ApiKey | undefined>;
  /** Authentication's lookup across organizations (see PrincipalDirectory.useApiKey). */
  use(secretHash: string): Promise<ApiKeyPrincipal | undefined>;
}

/** A key just created, with its secret shown this one time. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

export interface ApiKeyServiceDeps {
  uow: UnitOfWork;
  /** Where a revocation is announced, so the key stops working on every server at once. */
  revocations: Pick<Revocations, 'announce'>;
}

/**
 * API keys of an organization: created by its admins with a scope up to their own rights (a
 * tenant admin cannot make an admin key), the secret shown once and stored only hashed, listed
 * with their last use, and revoked. Keys themselves never manage keys, so a leaked key cannot
 * make itself a successor.
 */
export class ApiKeyService {
  constructor(private readonly deps: ApiKeyServiceDeps) {}

  /** Creates a key in the actor's own organization, acting for the actor. */
  async create(ctx: MutationContext, input: { name: string; scope: ApiKeyScope }): Promise<CreatedApiKey> {
    const actor = keyHolder(ctx.actor);
    authorize(actor, 'api_keys', 'create');
    const refusal = apiKeyScopeRefusal(actor.role, input.scope);
    if (refusal !== undefined) throw AppError.forbidden(refusal, 'API_KEY_SCOPE_FORBIDDEN');
    // The secret is made inside the change, so it is part of the recorded result: a retry that
    // recovers a committed create after a crash answers the secret whose hash was stored.
    return mutate(this.deps.uow, ctx, async (tx) => {
      const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      const created = await tx.apiKeys.insert({
        orgId: actor.orgId,
        name: input.name.trim(),
        scope: input.scope,
        secretHash: hashToken(secret),
        hint: secret.slice(0, API_KEY_PREFIX.length + API_KEY_HINT_LENGTH),
        createdBy: actor.userId,
      });
      return {
        result: { key: created, secret },
        ...apiKeyEffects(created, 'create', 'api_key_created', created.createdAt),
      };
    });
  }

  /** Live keys of the organization in scope, oldest first. */
  async list(actor: Actor, scope: OrgScope, page: Page): Promise<PageOf<ApiKey>> {
    authorize(keyHolder(actor), 'api_keys', 'list');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, actor, scope);
    return pageOf(await this.deps.uow.repos.apiKeys.list(orgId, page), page);
  }

  /** Revokes a live key (404 for another organization's or an unknown id); it stops working on every server at once. */
  async revoke(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(keyHolder(ctx.actor), 'api_keys', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    await mutate(this.deps.uow, ctx, async (tx) => {
      const revoked = (await tx.apiKeys.revoke(orgId, id)) ?? notFound();
      return {
        result: undefined,
        ...apiKeyEffects(revoked, 'delete', 'api_key_revoked', revoked.revokedAt!),
      };
    });
    await this.deps.revocations.announce({ orgId, apiKeyId: id });
  }
}

const notFound = (): never => {
  throw AppError.notFound('API key');
};

/** The person managing keys: a request made with an API key (or by a job) is refused. */
function keyHolder(actor: Actor): UserActor {
  if (actor.kind !== 'user' || actor.apiKey) {
    throw AppError.forbidden('API keys are managed by people signed in as themselves', 'API_KEY_FORBIDDEN');
  }
  return actor;
}

/** The audit row and the event of one change to a key. */
function apiKeyEffects(key: ApiKey, action: AuditAction, type: EventType, occurredAt: Date) {
  const data = apiKeyView(key);
  const created = action === 'create';
  return entityEffects({
    orgId: key.orgId,
    entityType: 'api_key',
    entityId: key.id,
    action,
    // A revocation's "before" is the live key it ended.
    before: created ? undefined : apiKeyView({ ...key, revokedAt: null }),
    after: data,
    event: { type, data, occurredAt },
  });
}
