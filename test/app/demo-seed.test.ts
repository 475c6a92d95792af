import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORG_NAME } from '../../src/app/demo-data.js';
import { DEMO_VERSION, seedDemoForStart } from '../../src/app/demo-seed.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// `amss dev` brings the demo up to date on its first start of a day, and a restart the same day
// skips what would change nothing (about 0.7 s of a restart on the embedded database).
let t: TestDatabase;
let uow: PgUnitOfWork;
const hash = (plain: string) => hashPassword(plain, 4);
const DAY_MS = 86_400_000;

beforeAll(async () => {
  t = await createTestDatabase();
  uow = new PgUnitOfWork(t.db);
}, 60_000);
afterAll(async () => {
  await t?.drop();
});

/** What a seed leaves behind: audit rows, outbox events and alerts, all organizations together. */
async function records(): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, number>>`
    SELECT (SELECT count(*)::int FROM audit_logs) AS audit, (SELECT count(*)::int FROM outbox_events) AS events,
           (SELECT count(*)::int FROM alerts) AS alerts`.execute(t.db);
  return rows[0]!;
}

describe('the demo at each start of amss dev', () => {
  it('is seeded on the first start and left alone by a restart the same day', async () => {
    const now = new Date();
    const first = await seedDemoForStart(uow, hash, now);
    expect(first.seeded).toBe(true);
    const afterFirst = await records();
    expect(afterFirst.audit).toBeGreaterThan(100);
    expect(afterFirst.alerts).toBeGreaterThan(0);
    expect(await uow.repos.demoSeed.last()).toEqual({
      version: DEMO_VERSION,
      seededOn: now.toISOString().slice(0, 10),
    });

    const again = await seedDemoForStart(uow, hash, new Date(now.getTime() + 1_000));

    expect(again).toEqual({ orgId: first.orgId, seeded: false });
    expect(await records()).toEqual(afterFirst);
  }, 120_000);

  it('is brought up to date by the first start of the next day', async () => {
    const tomorrow = new Date(Date.now() + DAY_MS);

    const next = await seedDemoForStart(uow, hash, tomorrow);

    expect(next.seeded).toBe(true);
    expect((await uow.repos.demoSeed.last())?.seededOn).toBe(tomorrow.toISOString().slice(0, 10));
    expect((await seedDemoForStart(uow, hash, tomorrow)).seeded).toBe(false);
  }, 120_000);

  it('is seeded again the same day when the demo itself is newer', async () => {
    const today = new Date();
    await uow.repos.demoSeed.record({ version: 'an older demo', seededOn: today.toISOString().slice(0, 10) });

    const start = await seedDemoForStart(uow, hash, today);

    expect(start.seeded).toBe(true);
    expect((await uow.repos.demoSeed.last())?.version).toBe(DEMO_VERSION);
  }, 120_000);

  it('is created again when its organization was deleted since the last start', async () => {
    const today = new Date();
    const before = (await seedDemoForStart(uow, hash, today)).orgId;
    await uow.repos.organizations.softDelete(before);

    const start = await seedDemoForStart(uow, hash, today);

    expect(start.seeded).toBe(true);
    expect(start.orgId).not.toBe(before);
    expect((await uow.repos.organizations.findByName(DEMO_ORG_NAME))?.id).toBe(start.orgId);
  }, 120_000);
});
