import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { seedDemoAlerts } from './demo-alerts.js';
import { DEMO_ORG_NAME, seedDemoData } from './demo-data.js';
import type { UnitOfWork } from './ports.js';

/** The modules that make the demo, beside this one (demo-work is seeded by demo-data). */
const DEMO_MODULES = ['demo-data', 'demo-work', 'demo-alerts', 'demo-seed'];

/**
 * A fingerprint of the demo: the text of its modules as this process runs them (TypeScript under
 * tsx, JavaScript from dist/), so an edit of the demo's data or of the code that seeds it is a new
 * demo, without anyone remembering to bump a number.
 */
export async function demoVersion(): Promise<string> {
  const extension = path.extname(import.meta.filename);
  const hash = createHash('sha256');
  for (const name of DEMO_MODULES)
    hash.update(await readFile(path.join(import.meta.dirname, name + extension)));
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
 * today) and its alerts (seedDemoAlerts) — unless the last start already did so today (UTC), with
 * this same demo, and no migration was applied since (`migrated`). Such a start would change
 * nothing: what moves with the date moves by whole days, and the worker evaluates the alerts at its
 * start and on its schedule. Skipping saves a restart the first run of all that code and its
 * statements on a freshly opened embedded database. A demo record deleted by hand comes back with
 * the next day's first start, or a newer demo's.
 */
export async function seedDemoForStart(
  uow: UnitOfWork,
  hashPassword: (plain: string) => Promise<string>,
  { now = new Date(), migrated = false }: { now?: Date; migrated?: boolean } = {},
): Promise<DemoStart> {
  const mark = { version: await demoVersion(), seededOn: now.toISOString().slice(0, 10) };
  const last = await uow.repos.demoSeed.last(DEMO_ORG_NAME);
  if (!migrated && last?.version === mark.version && last.seededOn === mark.seededOn) {
    const org = await uow.repos.organizations.findByName(DEMO_ORG_NAME);
    if (org) return { orgId: org.id, seeded: false };
  }
  const demo = await seedDemoData(uow, hashPassword);
  await seedDemoAlerts(uow, demo.orgId, now);
  await uow.repos.demoSeed.record(DEMO_ORG_NAME, mark);
  return { orgId: demo.orgId, seeded: true };
}
