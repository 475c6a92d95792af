import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DIRECTIVES, DEMO_PASSWORD, DEMO_REGISTRATIONS, seedDemoData } from '../../src/app/demo-data.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTestApp, type TestApp } from '../support/app.js';

// The demo organization's approvals and airworthiness directives, as `npm start` shows them:
// through the API a planner, mechanic and auditor use.
let t: TestApp;
let orgId: string;
const seed = () => seedDemoData(t.container.uow, (plain) => hashPassword(plain, 4));
const tokens: Record<string, string> = {};
const [faaAd, easaAd, serviceBulletin, faa737Ad] = DEMO_DIRECTIVES.map((demo) => demo.referenceNumber);

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await seed()).orgId;
  for (const who of ['scheduler', 'auditor']) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { org_id: orgId, email: `${who}@demo.local`, password: DEMO_PASSWORD },
    });
    tokens[who] = response.json<{ access_token: string }>().access_token;
  }
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function get<T>(url: string, token = tokens.auditor!): Promise<T> {
  const response = await t.request(token, 'GET', `/api/v1${url}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

async function aircraftId(tailNumber: string): Promise<string> {
  return (await t.container.uow.repos.aircraft.findByTailNumber(orgId, tailNumber))!.id;
}

type StatusRow = {
  reference_number: string;
  status: string;
  next_due: { date: string | null; flight_hours: number | null };
  last_compliance: { signer_email: string } | null;
};
const statusOf = (rows: StatusRow[], reference: string | undefined) =>
  rows.find((row) => row.reference_number === reference);

describe('demo directives', () => {
  it('records the FAA air operator certificate and the EASA Part-145 of the demo airline', async () => {
    const registrations = await get<{ approval_type: string; certificate_number: string }[]>(
      `/organizations/${orgId}/registrations`,
    );
    expect(registrations.map((r) => r.certificate_number).sort()).toEqual(
      DEMO_REGISTRATIONS.map((r) => r.certificateNumber).sort(),
    );
    expect(registrations.map((r) => r.approval_type).sort()).toEqual(['AOC', 'Part-145']);
  });

  it('shows the FAA AD complied on N101DA by the demo mechanic and overdue on N102DA', async () => {
    const first = await get<StatusRow[]>(`/aircraft/${await aircraftId('N101DA')}/compliance-status`);
    expect(statusOf(first, faaAd)).toMatchObject({
      status: 'complied',
      last_compliance: { signer_email: 'mechanic@demo.local' },
    });
    expect(statusOf(first, serviceBulletin)).toMatchObject({ status: 'pending', next_due: { date: null } });
    const second = await get<StatusRow[]>(`/aircraft/${await aircraftId('N102DA')}/compliance-status`);
    expect(statusOf(second, faaAd)?.status).toBe('overdue');
  });

  it('shows the recurring EASA AD on N201DA pending with its next due 600 hours or 12 months on', async () => {
    const rows = await get<StatusRow[]>(`/aircraft/${await aircraftId('N201DA')}/compliance-status`);
    const row = statusOf(rows, easaAd)!;
    expect(row).toMatchObject({
      status: 'pending',
      last_compliance: { signer_email: 'mechanic@demo.local' },
    });
    expect(row.next_due.flight_hours).toBeGreaterThanOrEqual(600);
    expect(new Date(row.next_due.date!).getTime()).toBeGreaterThan(Date.now());
  });

  it('shows the FAA AD on N201DA pending, due within the warning window', async () => {
    const rows = await get<StatusRow[]>(`/aircraft/${await aircraftId('N201DA')}/compliance-status`);
    const row = statusOf(rows, faa737Ad)!;
    expect(row.status).toBe('pending');
    const daysLeft = (new Date(row.next_due.date!).getTime() - Date.now()) / 86_400_000;
    expect(daysLeft).toBeGreaterThan(0);
    expect(daysLeft).toBeLessThanOrEqual(30);
  });

  it('puts the overdue FAA AD first on the due list', async () => {
    const items = await get<{ source: string; overdue: boolean; tail_number: string }[]>(
      '/due-list',
      tokens.scheduler,
    );
    expect(items[0]).toMatchObject({ source: 'directive', overdue: true, tail_number: 'N102DA' });
  });

  it('lists the FAA ADs in the FAA compliance report: complied and overdue on the A320neo, pending on the 737', async () => {
    const [faa] = await get<{ id: string; code: string }[]>('/regulatory-authorities?q=FAA');
    const report = await get<{
      registrations: { certificate_number: string }[];
      aircraft: { tail_number: string; directives: { reference_number: string; status: string }[] }[];
    }>(`/reports/directive-compliance?authority_id=${faa!.id}`);
    expect(report.registrations.map((r) => r.certificate_number)).toEqual(['DMAA123F']);
    const rows = report.aircraft.flatMap((a) =>
      a.directives.map((d) => `${a.tail_number} ${d.reference_number} ${d.status}`),
    );
    expect(rows).toEqual([
      `N101DA ${faaAd} complied`,
      `N102DA ${faaAd} overdue`,
      `N201DA ${faa737Ad} pending`,
    ]);
  });

  it('creates nothing on a second run', async () => {
    const count = () =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_logs`
        .execute(t.db.db)
        .then((r) => r.rows[0]!.n);
    const before = await count();
    expect((await seed()).created).toBe(0);
    expect(await count()).toBe(before);
  });
});
