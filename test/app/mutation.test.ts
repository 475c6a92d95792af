import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../src/app/actor.js';
import { mutate, type MutationContext } from '../../src/app/mutation.js';
import type { Repositories } from '../../src/app/ports.js';
import { domainEvent } from '../../src/domain/events.js';
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
