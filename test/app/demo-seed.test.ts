import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORG_NAME } from '../../src/app/demo-data.js';
import { demoVersion, seedDemoForStart } from '../../src/app/demo-seed.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// `amss dev` brings the demo up to date on its first start of a day, and a restart the same day
// skips it: it would change nothing.
let t: TestDatabase;
let uow: PgUnitOfWork;
const hash = (plain: string) => hashPassword(plain, 4);
const DAY_MS = 86_400_000;
const dayOf = (date: Date) => date.toISOString().slice(0, 10);
const today = new Date();
const tomorrow = new Date(today.getTime() + DAY_MS);

beforeAll(async () => {
  t = await createTestDatabase();
  uow = new PgUnitOfWork(t.db);
}, 60_000);
afterAll(async () => {
  await t?.drop();
});

/** Deletes the demo's auditor by hand, as an admin might; the demo seed creates a missing demo user. */
async function deleteTheAuditor(orgId: string): Promise<void> {
  const [auditor] = await uow.repos.users.findCredentials('auditor@demo.local', orgId);
  await uow.repos.users.softDelete(orgId, auditor!.id);
}
const auditorOf = async (orgId: string) =>
  (await uow.repos.users.findCredentials('auditor@demo.local', orgId))[0];

describe('the demo at each start of amss dev', () => {
  it('is seeded on the first start, and a restart the same day leaves what was done to it since', async () => {
    const first = await seedDemoForStart(uow, hash, { now: today });
    expect(first.seeded).toBe(true);
    expect(await auditorOf(first.orgId)).toBeDefined();
    expect(await uow.repos.demoSeed.last(DEMO_ORG_NAME)).toEqual({
      version: await demoVersion(),
      seededOn: dayOf(today),
    });
    await deleteTheAuditor(first.orgId);

    const again = await seedDemoForStart(uow, hash, { now: new Date(today.getTime() + 1_000) });

    expect(again).toEqual({ orgId: first.orgId, seeded: false });
    expect(await auditorOf(first.orgId)).toBeUndefined();
  }, 120_000);

  it('is brought up to date by the first start of the next day', async () => {
    const next = await seedDemoForStart(uow, hash, { now: tomorrow });

    expect(next.seeded).toBe(true);
    expect(await auditorOf(next.orgId)).toBeDefined();
    expect((await uow.repos.demoSeed.last(DEMO_ORG_NAME))?.seededOn).toBe(dayOf(tomorrow));
    expect((await seedDemoForStart(uow, hash, { now: tomorrow })).seeded).toBe(false);
  }, 120_000);

  it('is brought up to date the same day by a newer demo, or after a migration', async () => {
    const { orgId } = await seedDemoForStart(uow, hash, { now: tomorrow });
    await deleteTheAuditor(orgId);

    expect((await seedDemoForStart(uow, hash, { now: tomorrow, migrated: true })).seeded).toBe(true);
    expect(await auditorOf(orgId)).toBeDefined();

    await deleteTheAuditor(orgId);
    await uow.repos.demoSeed.record(DEMO_ORG_NAME, { version: 'an older demo', seededOn: dayOf(tomorrow) });

    expect((await seedDemoForStart(uow, hash, { now: tomorrow })).seeded).toBe(true);
    expect(await auditorOf(orgId)).toBeDefined();
    expect((await uow.repos.demoSeed.last(DEMO_ORG_NAME))?.version).toBe(await demoVersion());
  }, 120_000);

  it('is created again when its organization was deleted since the last start', async () => {
    const before = (await seedDemoForStart(uow, hash, { now: tomorrow })).orgId;
    await uow.repos.organizations.softDelete(before);

    const start = await seedDemoForStart(uow, hash, { now: tomorrow });

    expect(start.seeded).toBe(true);
    expect(start.orgId).not.toBe(before);
    expect((await uow.repos.organizations.findByName(DEMO_ORG_NAME))?.id).toBe(start.orgId);
  }, 120_000);
});
