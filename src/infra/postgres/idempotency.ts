import type {
  IdempotencyRecord,
  IdempotencyScope,
  IdempotencyStore,
  StoredResponse,
} from '../../app/idempotency.js';
import type { Executor } from './executor.js';

/** Idempotency keys in PostgreSQL, as the specification says: one row per (org, user, key, endpoint). */
export class PgIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Executor) {}

  async reserve(scope: IdempotencyScope, requestHash: string, expiresAt: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('idempotency_keys')
      .values({
        org_id: scope.orgId,
        user_id: scope.userId,
        key: scope.key,
        endpoint: scope.endpoint,
        request_hash: requestHash,
        expires_at: expiresAt,
      })
      .onConflict((conflict) => conflict.columns(['org_id', 'user_id', 'key', 'endpoint']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async find(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined> {
    const row = await this.scoped(
      this.db
        .selectFrom('idempotency_keys')
        .select([
          'request_hash',
          'status_code',
          'response_body',
          'response_headers',
          'created_at',
          'expires_at',
        ]),
      scope,
    ).executeTakeFirst();
    if (!row) return undefined;
    return {
      requestHash: row.request_hash,
      response:
        row.status_code === 0
          ? undefined
          : {
              statusCode: row.status_code,
              body: row.response_body ?? '',
              headers: row.response_headers ?? {},
            },
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async takeOver(
    scope: IdempotencyScope,
    requestHash: string,
    staleBefore: Date,
    expiresAt: Date,
  ): Promise<boolean> {
    // Conditional on the row still being expired or abandoned: of two racing takers, one wins.
    const result = await this.scoped(
      this.db.updateTable('idempotency_keys').set({
        request_hash: requestHash,
        status_code: 0,
        response_body: null,
        response_headers: null,
        created_at: new Date(),
        expires_at: expiresAt,
      }),
      scope,
    )
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', new Date()),
          eb.and([eb('status_code', '=', 0), eb('created_at', '<=', staleBefore)]),
        ]),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return true;
    // The row may have been cleaned up in between: then reserving it anew is the takeover.
    return this.reserve(scope, requestHash, expiresAt);
  }

  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    await this.scoped(
      this.db.updateTable('idempotency_keys').set({
        status_code: response.statusCode,
        response_body: response.body,
        response_headers: JSON.stringify(response.headers),
      }),
      scope,
    ).execute();
  }

  async release(scope: IdempotencyScope): Promise<void> {
    await this.scoped(this.db.deleteFrom('idempotency_keys'), scope).where('status_code', '=', 0).execute();
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private scoped<Q extends { where: ScopedWhere<Q> }>(query: Q, scope: IdempotencyScope): Q {
    return query
      .where('org_id', '=', scope.orgId)
      .where('user_id', '=', scope.userId)
      .where('key', '=', scope.key)
      .where('endpoint', '=', scope.endpoint);
  }
}

type ScopedWhere<Q> = (column: 'org_id' | 'user_id' | 'key' | 'endpoint', op: '=', value: string) => Q;
