import { createHash } from 'node:crypto';
import * as demoAlerts from './demo-alerts.js';
import * as demoData from './demo-data.js';
import * as demoWork from './demo-work.js';
import type { UnitOfWork } from './ports.js';

/**
 * A fingerprint of the demo: every `DEMO_*` constant of the demo modules, so a demo with a record
 * added or changed is a new version, without anyone remembering to bump a number.
 */
export const DEMO_VERSION = fingerprint([demoData, demoWork, demoAlerts]);

function fingerprint(modules: object[]): string {
  const hash = createHash('sha256');
  for (const module of modules)
    for (const [name, value] of Object.entries(module).sort(([a], [b]) => a.localeCompare(b)))
      if (name.startsWith('DEMO_')) hash.update(`${name}\0${JSON.stringify(value)}\n`);
  return hash.digest('hex').slice(0, 16);
}

/** The demo organization a start shows, and whether this start brought it up to date. */
export interface DemoStart {
  orgId: string;
  seeded: boolean;
}

/**
 * What `amss dev` does before its banner: brings the demo organization up to date — its records
 * (seedDemoData: whatever is missing, and the date-relative ones moved to their days counted from
 * today) and its alerts (seedDemoAlerts) — unless the last start already did, with this same demo,
 * today (UTC). Such a start would change nothing: what moves with the date moves by whole days, and
 * the worker evaluates the alerts on its own schedule. The skip saves a restart the first run of
 * all that code and its statements on a freshly opened embedded database (about 0.7 s of 3.5 s). A
 * demo record deleted by hand comes back with the next day's first start, or a newer demo's.
 */
export async function seedDemoForStart(
  uow: UnitOfWork,
  hashPassword: (plain: string) => Promise<string>,
  now: Date = new Date(),
): Promise<DemoStart> {
  const mark = { version: DEMO_VERSION, seededOn: now.toISOString().slice(0, 10) };
  const last = await uow.repos.demoSeed.last();
  if (last?.version === mark.version && last.seededOn === mark.seededOn) {
    const org = await uow.repos.organizations.findByName(demoData.DEMO_ORG_NAME);
    if (org) return { orgId: org.id, seeded: false };
  }
  const demo = await demoData.seedDemoData(uow, hashPassword);
  await demoAlerts.seedDemoAlerts(uow, demo.orgId, now);
  await uow.repos.demoSeed.record(mark);
  return { orgId: demo.orgId, seeded: true };
}
