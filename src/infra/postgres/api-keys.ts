import { sql, type Selectable } from 'kysely';
import type { ApiKeyRepository, NewApiKey } from '../../app/api-keys.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { ApiKeyPrincipal } from '../../app/principals.js';
import type { ApiKey, ApiKeyScope } from '../../domain/api-key.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { ApiKeysTable } from './schema.js';

registerConstraints({
  api_keys_org_id_name_live_key: {
    kind: 'conflict',
    reason: 'API_KEY_NAME_TAKEN',
    message: 'a live API key with this name already exists in the organization',
    field: 'body.name',
  },
  api_keys_name_length: {
    kind: 'validation',
    reason: 'INVALID_API_KEY_NAME',
    message: 'the name must not be blank and at most 100 characters long',
    field: 'body.name',
  },
});

/** Every column but the secret's hash, which only authentication compares. */
const COLUMNS = [
  'id',
  'org_id',
  'name',
  'scope',
  'hint',
  'created_by',
  'created_at',
  'last_used_at',
  'revoked_at',
] as const;

const toApiKey = (row: Omit<Selectable<ApiKeysTable>, 'secret_hash'>): ApiKey => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  scope: row.scope as ApiKeyScope,
  hint: row.hint,
  createdBy: row.created_by,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

const OLDEST_FIRST: SortKey<'created_at'>[] = [{ field: 'created_at', direction: 'asc' }];

export class PgApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: NewApiKey): Promise<ApiKey> {
    const row = await this.db
      .insertInto('api_keys')
      .values({
        org_id: input.orgId,
        name: input.name,
        scope: input.scope,
        secret_hash: input.secretHash,
        hint: input.hint,
        created_by: input.createdBy,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  async find(orgId: string, id: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toApiKey(row);
  }

  async list(orgId: string, page: Page): Promise<ApiKey[]> {
    const query = this.db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null);
    const rows = await orderBySortKeys(query, OLDEST_FIRST, { created_at: 'created_at' }, 'id', {
      table: 'api_keys',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toApiKey);
  }

  async revoke(orgId: string, id: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`now()` })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(COLUMNS)
      .executeTakeFirst();
    return row && toApiKey(row);
  }

  async use(secretHash: string): Promise<ApiKeyPrincipal | undefined> {
    // One statement: find the live key of a live owner in a live org, and stamp its use.
    const row = await this.db
      .updateTable('api_keys as k')
      .from('users as u')
      .innerJoin('organizations as o', 'o.id', 'u.org_id')
      .set({ last_used_at: sql<Date>`now()` })
      .whereRef('u.org_id', '=', 'k.org_id')
      .whereRef('u.id', '=', 'k.created_by')
      .where('k.secret_hash', '=', secretHash)
      .where('k.revoked_at', 'is', null)
      .where('u.deleted_at', 'is', null)
      .where('o.deleted_at', 'is', null)
      .returning(['k.id', 'k.org_id', 'k.name', 'k.scope', 'k.created_by', 'u.role'])
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        orgId: row.org_id,
        name: row.name,
        scope: row.scope as ApiKeyScope,
        ownerId: row.created_by,
        ownerRole: row.role,
      }
    );
  }
}
