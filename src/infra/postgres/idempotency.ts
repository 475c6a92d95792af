import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type {
  IdempotencyKeyRef,
  IdempotencyRecord,
  IdempotencyScope,
  IdempotencyStore,
  IdempotentMutationRepository,
  RecordedMutation,
  StoredResponse,
} from '../../app/idempotency.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { decodeRecordedResult, encodeRecordedResult } from './recorded-result.js';
import type { DB } from './schema.js';

registerConstraints({
  // A mutation of a request whose key a retry took over (the request ran past the abandonment
  // limit before anything committed) must not commit: the retry now owns the request.
  idempotency_mutations_key_fkey: {
    kind: 'conflict',
    reason: 'IDEMPOTENCY_KEY_TAKEN_OVER',
    message:
      'a retry with this Idempotency-Key took the request over after it ran too long; this attempt changed nothing',
  },
});

/** Idempotency keys in PostgreSQL, as the specification says: one row per (org, user, key, endpoint). */
export class PgIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Kysely<DB>) {}

  async reserve(
    scope: IdempotencyScope,
    requestHash: string,
    expiresAt: Date,
    db: Executor = this.db,
  ): Promise<IdempotencyKeyRef | undefined> {
    const row = await db
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
      .returning(['id', 'org_id'])
      .executeTakeFirst();
    return row && { id: row.id, orgId: row.org_id };
  }

  async find(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined> {
    const row = await scoped(
      this.db
        .selectFrom('idempotency_keys as k')
        .select((eb) => [
          'k.id',
          'k.org_id',
          'k.request_hash',
          'k.status_code',
          'k.response_body',
          'k.response_headers',
          'k.created_at',
          'k.expires_at',
          eb
            .selectFrom('idempotency_mutations as m')
            .select(eb.fn.countAll<string>().as('n'))
            .whereRef('m.org_id', '=', 'k.org_id')
            .whereRef('m.key_id', '=', 'k.id')
            .as('recorded_mutations'),
        ]),
      scope,
    ).executeTakeFirst();
    if (!row) return undefined;
    return {
      key: { id: row.id, orgId: row.org_id },
      requestHash: row.request_hash,
      response: storedResponse(row),
      recordedMutations: Number(row.recorded_mutations ?? 0),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async takeOver(
    scope: IdempotencyScope,
    requestHash: string,
    staleBefore: Date,
    expiresAt: Date,
  ): Promise<IdempotencyKeyRef | undefined> {
    return this.db.transaction().execute(async (tx) => {
      // The row lock waits for a mutation of the first attempt that is committing right now
      // (claiming its slot share-locks the key), so the check below, a statement of its own
      // with a fresh snapshot, sees its result; and from here on such a claim waits for this
      // takeover and then fails, as the key it names is gone.
      const current = await scoped(tx.selectFrom('idempotency_keys as k').select('k.id'), scope)
        .forUpdate()
        .executeTakeFirst();
      if (current) {
        const replaced = await tx
          .deleteFrom('idempotency_keys as k')
          .where('k.id', '=', current.id)
          .where((eb) =>
            eb.or([
              eb('k.expires_at', '<=', new Date()),
              eb.and([
                eb('k.status_code', '=', 0),
                eb('k.created_at', '<=', staleBefore),
                noRecordedMutations(eb),
              ]),
            ]),
          )
          .executeTakeFirst();
        if (Number(replaced.numDeletedRows) === 0) return undefined;
      }
      // A new row (the old one's recorded mutations went with it): of two racing takers, one wins.
      return this.reserve(scope, requestHash, expiresAt, tx);
    });
  }

  async complete(key: IdempotencyKeyRef, response: StoredResponse): Promise<StoredResponse> {
    const updated = await byKey(
      this.db.updateTable('idempotency_keys').set({
        status_code: response.statusCode,
        response_body: response.body,
        response_headers: JSON.stringify(response.headers),
      }),
      key,
    )
      .where('status_code', '=', 0)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return response;
    // Another attempt at the request (the first one finishing, or a concurrent recovery) stored
    // its response first: that one is the answer. Gone (cleaned up): ours stands.
    const row = await byKey(
      this.db.selectFrom('idempotency_keys').select(['status_code', 'response_body', 'response_headers']),
      key,
    ).executeTakeFirst();
    return (row && storedResponse(row)) ?? response;
  }

  async release(key: IdempotencyKeyRef): Promise<void> {
    await byKey(this.db.deleteFrom('idempotency_keys as k'), key)
      .where('k.status_code', '=', 0)
      .where(noRecordedMutations)
      .execute();
  }

  async recordedMutation(key: IdempotencyKeyRef, seq: number): Promise<RecordedMutation | undefined> {
    const row = await this.db
      .selectFrom('idempotency_mutations')
      .select('result')
      .where('org_id', '=', key.orgId)
      .where('key_id', '=', key.id)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row?.result ? { result: decodeRecordedResult(row.result) } : undefined;
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** An idempotent request's mutations, recorded inside their own transactions. */
export class PgIdempotentMutationRepository implements IdempotentMutationRepository {
  constructor(private readonly db: Executor) {}

  async claim(key: IdempotencyKeyRef, seq: number): Promise<boolean> {
    // ON CONFLICT waits for a concurrent claim of the slot: nothing when it commits, ours when
    // it rolls back.
    const claimed = await this.db
      .insertInto('idempotency_mutations')
      .values({ org_id: key.orgId, key_id: key.id, seq })
      .onConflict((conflict) => conflict.columns(['org_id', 'key_id', 'seq']).doNothing())
      .executeTakeFirst();
    return Number(claimed.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async record(key: IdempotencyKeyRef, seq: number, result: unknown): Promise<void> {
    await this.db
      .updateTable('idempotency_mutations')
      .set({ result: encodeRecordedResult(result) })
      .where('org_id', '=', key.orgId)
      .where('key_id', '=', key.id)
      .where('seq', '=', seq)
      .execute();
  }
}

/** The key row `k` has no recorded mutation (none of its request's changes committed). */
const noRecordedMutations = (eb: ExpressionBuilder<DB & { k: DB['idempotency_keys'] }, 'k'>) =>
  eb.not(
    eb.exists(
      eb
        .selectFrom('idempotency_mutations as m')
        .select(sql.lit(1).as('one'))
        .whereRef('m.org_id', '=', 'k.org_id')
        .whereRef('m.key_id', '=', 'k.id'),
    ),
  );

/** The stored response of a key's row, or undefined while its request is in progress. */
function storedResponse(row: {
  status_code: number;
  response_body: string | null;
  response_headers: Record<string, string> | null;
}): StoredResponse | undefined {
  if (row.status_code === 0) return undefined;
  return {
    statusCode: row.status_code,
    body: row.response_body ?? '',
    headers: row.response_headers ?? {},
  };
}

function scoped<Q extends { where: ScopedWhere<Q> }>(query: Q, scope: IdempotencyScope): Q {
  return query
    .where('k.org_id', '=', scope.orgId)
    .where('k.user_id', '=', scope.userId)
    .where('k.key', '=', scope.key)
    .where('k.endpoint', '=', scope.endpoint);
}

type ScopedWhere<Q> = (
  column: 'k.org_id' | 'k.user_id' | 'k.key' | 'k.endpoint',
  op: '=',
  value: string,
) => Q;

function byKey<Q extends { where: KeyWhere<Q> }>(query: Q, key: IdempotencyKeyRef): Q {
  return query.where('org_id', '=', key.orgId).where('id', '=', key.id);
}

type KeyWhere<Q> = (column: 'org_id' | 'id', op: '=', value: string) => Q;
