import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { UserActor } from '../../src/app/actor.js';
import {
  beginIdempotentRequest,
  enterIdempotentAttempt,
  IdempotentAttempt,
  withIdempotency,
} from '../../src/app/idempotency.js';
import { mutate, type MutationContext } from '../../src/app/mutation.js';
import type { Repositories } from '../../src/app/ports.js';
import { domainEvent } from '../../src/domain/events.js';
import { PgIdempotencyStore } from '../../src/infra/postgres/idempotency.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let uow: PgUnitOfWork;
let ctx: MutationContext & { actor: UserActor };

beforeAll(async () => {
  db = await createTestDatabase();
  uow = new PgUnitOfWork(db.db);
  const org = await uow.repos.organizations.insert({ name: 'Mutation Org' });
  const admin = await uow.repos.users.insert({
    orgId: org.id,
    email: 'admin@mutation.test',
    role: 'admin',
    passwordHash: 'x',
  });
  ctx = {
    actor: { kind: 'user', userId: admin.id, orgId: org.id, role: 'admin', scopes: [] },
    request: { requestId: 'req-42', ip: '203.0.113.7', userAgent: 'vitest/1' },
  };
});
afterAll(async () => {
  await db.drop();
});

const count = async (table: 'organizations' | 'audit_logs' | 'outbox_events') =>
  Number(
    (
      await db.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** A mutation that creates an organization, with its audit row and `organization_created` event. */
const createOrg = (name: string) => async (repos: Repositories) => {
  const org = await repos.organizations.insert({ name });
  const event = domainEvent({
    orgId: org.id,
    type: 'organization_created',
    aggregateType: 'organization',
    aggregateId: org.id,
    data: { name },
    occurredAt: org.createdAt,
  });
  return {
    result: org,
    audit: {
      orgId: org.id,
      entityType: 'organization',
      entityId: org.id,
      action: 'create' as const,
      after: { name },
    },
    events: [event],
  };
};

describe('mutate', () => {
  it('leaves no row, no audit row and no event when the work fails after writing', async () => {
    const before = await Promise.all([count('organizations'), count('audit_logs'), count('outbox_events')]);
    const failing = mutate(uow, ctx, async (repos) => {
      await createOrg('Doomed')(repos);
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await Promise.all([count('organizations'), count('audit_logs'), count('outbox_events')])).toEqual(
      before,
    );
  });

  it('rolls the change back when its audit row cannot be written', async () => {
    const failing = mutate(uow, ctx, async (repos) => {
      const change = await createOrg('Unaudited')(repos);
      return { ...change, audit: { ...change.audit, entityId: 'not-a-uuid' } };
    });
    await expect(failing).rejects.toMatchObject({ kind: 'validation' });
    expect(await uow.repos.organizations.findByName('Unaudited')).toBeUndefined();
  });

  it('writes one audit row with actor, request and before/after, and one versioned event', async () => {
    const org = await mutate(uow, ctx, createOrg('Audited'));
    const audits = await db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', org.id).execute();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      org_id: org.id,
      actor_org_id: ctx.actor.orgId,
      user_id: ctx.actor.userId,
      actor: 'user:admin',
      action: 'create',
      request_id: 'req-42',
      ip_address: '203.0.113.7',
      user_agent: 'vitest/1',
      details: { after: { name: 'Audited' } },
    });
    const events = await db.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', org.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.dedupe_key).toBe(`organization_created:${org.id}:${org.id}`);
    expect(events[0]!.payload).toMatchObject({
      version: 1,
      event_type: 'organization_created',
      org_id: org.id,
      aggregate_id: org.id,
      occurred_at: org.createdAt.toISOString(),
    });
  });

  it('records an event only once when its dedupe key was already used', async () => {
    const first = await mutate(uow, ctx, createOrg('Dedupe One'));
    const sameEffect = (name: string) => async (repos: Repositories) => {
      const change = await createOrg(name)(repos);
      return {
        ...change,
        events: change.events.map((e) => ({ ...e, orgId: first.id, dedupeKey: 'same-key' })),
      };
    };
    await mutate(uow, ctx, sameEffect('Dedupe Two'));
    await mutate(uow, ctx, sameEffect('Dedupe Three'));
    const keyed = await db.db
      .selectFrom('outbox_events')
      .select('id')
      .where('dedupe_key', '=', 'same-key')
      .execute();
    expect(keyed).toHaveLength(1);
  });
});

describe('mutate inside a request with an Idempotency-Key', () => {
  const store = () => new PgIdempotencyStore(db.db);
  /** Begins an attempt at the key as the idempotency plugin does; the first, or a retry. */
  const begin = async (key: string) => {
    const scope = { orgId: ctx.actor.orgId, userId: ctx.actor.userId, key, endpoint: 'POST /test' };
    const decision = await beginIdempotentRequest(store(), scope, 'the same request');
    if (decision.kind !== 'proceed') throw new Error(`expected to proceed, got ${decision.kind}`);
    return decision.attempt;
  };
  /** Runs `steps` as the handler of the attempt's request. */
  const inAttempt = <T>(attempt: IdempotentAttempt, steps: () => Promise<T>) =>
    withIdempotency(() => {
      enterIdempotentAttempt(attempt);
      return steps();
    });
  const orgsNamed = (name: string) =>
    db.db.selectFrom('organizations').selectAll().where('name', '=', name).execute();

  it('answers a retry after a crash between commit and response with the recorded result, changing nothing again', async () => {
    const key = randomUUID();
    const name = `Recorded ${key}`;
    const first = await inAttempt(await begin(key), () => mutate(uow, ctx, createOrg(name)));
    // The process died here: no response stored.
    const retry = await begin(key);
    expect(retry.recovering).toBe(true);
    const before = await Promise.all([count('audit_logs'), count('outbox_events')]);
    const recovered = await inAttempt(retry, () => mutate(uow, ctx, createOrg(name)));
    expect(recovered).toEqual(first);
    expect(recovered.createdAt).toBeInstanceOf(Date);
    expect(await orgsNamed(name)).toHaveLength(1);
    expect(await Promise.all([count('audit_logs'), count('outbox_events')])).toEqual(before);
  });

  it('recovers a request that died between two changes: the first is answered, the second runs', async () => {
    const key = randomUUID();
    const [one, two] = [`First ${key}`, `Second ${key}`];
    const crashed = inAttempt(await begin(key), async () => {
      await mutate(uow, ctx, createOrg(one));
      throw new Error('the process died');
    });
    await expect(crashed).rejects.toThrow('the process died');

    const retry = await begin(key);
    const [first, second] = await inAttempt(retry, async () => [
      await mutate(uow, ctx, createOrg(one)),
      await mutate(uow, ctx, createOrg(two)),
    ]);
    expect(await orgsNamed(one)).toEqual([expect.objectContaining({ id: first.id })]);
    expect(await orgsNamed(two)).toEqual([expect.objectContaining({ id: second.id })]);
  });

  it('makes an attempt racing another at the same change wait for it and answer its result', async () => {
    const key = randomUUID();
    const name = `Raced ${key}`;
    const first = await begin(key);
    // A retry recovering while the first attempt is still running (it recorded nothing yet).
    const racer = new IdempotentAttempt(first.key, true, store());
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const working = new Promise<void>((resolve) => (started = resolve));
    const firstDone = inAttempt(first, () =>
      mutate(uow, ctx, async (repos) => {
        started();
        const change = await createOrg(name)(repos);
        await finishing;
        return change;
      }),
    );
    // The first attempt's work runs only once it holds its claim; the racer starts after that (on a
    // loaded machine it could otherwise claim first, and nothing would wait for anything).
    await working;
    const racerDone = inAttempt(racer, () => mutate(uow, ctx, createOrg(name)));
    // The racer waits for the first attempt's claim of the change.
    // (Sessions of this test's own database only: other test files share the server.)
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE NOT l.granted AND a.datname = current_database()`.execute(db.db);
        expect(rows[0]!.n).toBeGreaterThan(0);
      },
      { timeout: 15_000, interval: 20 },
    );
    finish();
    const [ours, theirs] = await Promise.all([firstDone, racerDone]);
    expect(theirs).toEqual(ours);
    expect(await orgsNamed(name)).toHaveLength(1);
  });

  it('refuses the change of a first attempt that ran so long a retry took its key over', async () => {
    const key = randomUUID();
    const stuck = await begin(key);
    await db.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 6 * 60_000) })
      .where('key', '=', key)
      .execute();
    const retry = await begin(key);
    expect(retry.recovering).toBe(false);

    const late = inAttempt(stuck, () => mutate(uow, ctx, createOrg(`Late ${key}`)));
    await expect(late).rejects.toMatchObject({ kind: 'conflict', reason: 'IDEMPOTENCY_KEY_TAKEN_OVER' });
    expect(await orgsNamed(`Late ${key}`)).toEqual([]);
  });

  it('keeps a released key whose change committed, and stores only the first of two responses', async () => {
    const key = randomUUID();
    const attempt = await begin(key);
    await inAttempt(attempt, () => mutate(uow, ctx, createOrg(`Released ${key}`)));
    // A server error after the commit: the key stays for the retry to recover.
    await store().release(attempt.key);
    expect((await begin(key)).recovering).toBe(true);

    const ours = { statusCode: 201, body: 'first', headers: {} };
    expect(await store().complete(attempt.key, ours)).toBe(ours);
    expect(await store().complete(attempt.key, { ...ours, body: 'second' })).toEqual(ours);
  });
});
