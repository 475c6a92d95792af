import type { IntervalType } from '../domain/program.js';
import type { Role } from '../domain/roles.js';
import type { TaskType } from '../domain/task.js';
import { systemActor } from './actor.js';
import { AircraftService } from './aircraft.js';
import type { AuditEntry } from './audit.js';
import type { LockManager } from './locks.js';
import { mutate } from './mutation.js';
import { MAX_PAGE_SIZE } from './pagination.js';
import { ProgramService } from './programs.js';
import { organizationView } from './organizations.js';
import { PartService } from './parts.js';
import { TaskService } from './tasks.js';
import { userView } from './users.js';
import type { UnitOfWork } from './ports.js';

export const DEMO_ORG_NAME = 'Demo Airline';
/** The documented demo password; `amss seed` refuses to run in production. */
export const DEMO_PASSWORD = 'ChangeMe123!';

/** One demo login per role. */
export const DEMO_USERS: readonly { email: string; role: Role }[] = [
  { email: 'admin@demo.local', role: 'admin' },
  { email: 'tenant-admin@demo.local', role: 'tenant_admin' },
  { email: 'scheduler@demo.local', role: 'scheduler' },
  { email: 'mechanic@demo.local', role: 'mechanic' },
  { email: 'auditor@demo.local', role: 'auditor' },
];

export interface SeedResult {
  orgId: string;
  /** Number of records created by this run; 0 when everything was already there. */
  created: number;
}

/**
 * Creates the demo organization, its users, aircraft and programs when they are missing, so running it twice
 * changes nothing the second time. Everything it creates is audited as `system:seed`.
 */
export async function seedDemoData(
  uow: UnitOfWork,
  hashPassword: (plain: string) => Promise<string>,
): Promise<SeedResult> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const existing = await uow.repos.organizations.findByName(DEMO_ORG_NAME);
  if (existing && (await missingUsers(uow, existing.id)).length === 0)
    return { orgId: existing.id, created: await seedDemoFleet(uow, existing.id) };

  const seeded = await mutate(uow, { actor: systemActor('seed') }, async (repos) => {
    const audit: AuditEntry[] = [];
    let org = await repos.organizations.findByName(DEMO_ORG_NAME);
    if (!org) {
      org = await repos.organizations.insert({ name: DEMO_ORG_NAME });
      await repos.orgPolicies.insertDefaults(org.id);
      audit.push({
        orgId: org.id,
        entityType: 'organization',
        entityId: org.id,
        action: 'create',
        after: organizationView(org),
      });
    }
    for (const { email, role } of DEMO_USERS) {
      const [found] = await repos.users.findCredentials(email, org.id);
      if (found) continue;
      const user = await repos.users.insert({ orgId: org.id, email, role, passwordHash });
      audit.push({
        orgId: org.id,
        entityType: 'user',
        entityId: user.id,
        action: 'create',
        after: userView(user),
      });
    }
    return { result: { orgId: org.id, created: audit.length }, audit };
  });
  return { ...seeded, created: seeded.created + (await seedDemoFleet(uow, seeded.orgId)) };
}

/** The demo fleet of Demo Airline. */
export const DEMO_AIRCRAFT: readonly { tailNumber: string; model: string }[] = [
  { tailNumber: 'N101DA', model: 'A320neo' },
  { tailNumber: 'N102DA', model: 'A320neo' },
  { tailNumber: 'N201DA', model: 'B737-800' },
];

/** The demo aircraft, then their programs (which need the aircraft); returns how many records it created. */
async function seedDemoFleet(uow: UnitOfWork, orgId: string): Promise<number> {
  const aircraft = await seedDemoAircraft(uow, orgId);
  const programs = await seedDemoPrograms(uow, orgId);
  const parts = await seedDemoParts(uow, orgId);
  return aircraft + programs + parts + (await seedDemoTasks(uow, orgId));
}

/**
 * Creates the demo aircraft whose tail numbers the org does not have yet, through the aircraft
 * service so they are audited as `system:seed`. Returns how many it created.
 */
export async function seedDemoAircraft(uow: UnitOfWork, orgId: string): Promise<number> {
  const service = new AircraftService({ uow });
  let created = 0;
  for (const { tailNumber, model } of DEMO_AIRCRAFT) {
    if (await uow.repos.aircraft.findByTailNumber(orgId, tailNumber)) continue;
    await service.create({ actor: systemActor('seed') }, { orgId, tailNumber, model });
    created += 1;
  }
  return created;
}

async function missingUsers(uow: UnitOfWork, orgId: string): Promise<string[]> {
  const missing: string[] = [];
  for (const { email } of DEMO_USERS) {
    const [found] = await uow.repos.users.findCredentials(email, orgId);
    if (!found) missing.push(email);
  }
  return missing;
}

/** The tail number of the first demo aircraft, which the demo programs are bound to. */
export const DEMO_PROGRAM_AIRCRAFT = 'N101DA';

/** The demo maintenance programs of the first demo aircraft. */
export const DEMO_PROGRAMS: readonly { name: string; intervalType: IntervalType; intervalValue: number }[] = [
  { name: 'A-check', intervalType: 'calendar', intervalValue: 120 },
  { name: 'Oil change', intervalType: 'flight_hours', intervalValue: 500 },
];

/**
 * Creates the demo programs of the first demo aircraft that are missing (by name), through the
 * program service so they are audited as `system:seed`. Must run after the demo aircraft are
 * seeded; without aircraft N101DA it creates nothing. Returns how many programs it created.
 */
export async function seedDemoPrograms(uow: UnitOfWork, orgId: string): Promise<number> {
  const aircraft = await uow.repos.aircraft.findByTailNumber(orgId, DEMO_PROGRAM_AIRCRAFT);
  if (!aircraft) return 0;
  const existing = await uow.repos.programs.list(
    orgId,
    { aircraftId: aircraft.id },
    [{ field: 'name', direction: 'asc' }],
    { limit: MAX_PAGE_SIZE, offset: 0 },
  );
  const missing = DEMO_PROGRAMS.filter(({ name }) => !existing.some((program) => program.name === name));
  const programs = new ProgramService({ uow });
  for (const program of missing) {
    await programs.create({ actor: systemActor('seed') }, { ...program, orgId, aircraftId: aircraft.id });
  }
  return missing.length;
}

const DAY_MS = 86_400_000;

/** The demo parts catalogue with the serials of its items; oil filters expire two years after seeding. */
export const DEMO_PARTS: readonly {
  name: string;
  category: string;
  minStockLevel: number;
  reorderPoint?: number;
  leadTimeDays?: number;
  serials: readonly string[];
  expiresInDays?: number;
}[] = [
  {
    name: 'Brake assembly',
    category: 'landing gear',
    minStockLevel: 2,
    leadTimeDays: 30,
    serials: ['BRK-1001', 'BRK-1002', 'BRK-1003'],
  },
  {
    name: 'Oil filter',
    category: 'engine',
    minStockLevel: 4,
    reorderPoint: 6,
    leadTimeDays: 7,
    serials: ['OF-2001', 'OF-2002', 'OF-2003'],
    expiresInDays: 730,
  },
];

/** Seeding reserves nothing, so it needs no lock between replicas. */
const NO_LOCKS: LockManager = { withLock: (_key, _options, work) => work() };

/**
 * Creates the demo part definitions (by name) and items (by serial) that are missing, through the
 * part service so they are audited as `system:seed`. Returns how many records it created.
 */
export async function seedDemoParts(uow: UnitOfWork, orgId: string): Promise<number> {
  const parts = new PartService({ uow, locks: NO_LOCKS });
  const ctx = { actor: systemActor('seed') };
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  let created = 0;
  for (const demo of DEMO_PARTS) {
    const named = await uow.repos.parts.listDefinitions(
      orgId,
      { name: demo.name },
      [{ field: 'name', direction: 'asc' }],
      page,
    );
    let definition = named.find((d) => d.name === demo.name);
    if (!definition) {
      definition = await parts.createDefinition(ctx, {
        orgId,
        name: demo.name,
        category: demo.category,
        minStockLevel: demo.minStockLevel,
        reorderPoint: demo.reorderPoint,
        leadTimeDays: demo.leadTimeDays,
      });
      created += 1;
    }
    for (const serialNumber of demo.serials) {
      const found = await uow.repos.parts.listItems(
        orgId,
        { serial: serialNumber },
        [{ field: 'serial_number', direction: 'asc' }],
        page,
      );
      if (found.some((item) => item.serialNumber === serialNumber)) continue;
      const expiryDate =
        demo.expiresInDays === undefined ? null : new Date(Date.now() + demo.expiresInDays * DAY_MS);
      await parts.createItem(ctx, { orgId, partDefinitionId: definition.id, serialNumber, expiryDate });
      created += 1;
    }
  }
  return created;
}

/**
 * The demo tasks: one per demo aircraft, `inDays` days after seeding from 08:00 UTC for `hours`.
 * The notes identify a demo task, so a second run finds it and creates nothing.
 */
export const DEMO_TASKS: readonly {
  tailNumber: string;
  type: TaskType;
  notes: string;
  inDays: number;
  hours: number;
  /** The demo program (by name) the task performs. */
  program?: string;
  /** Assign the demo mechanic. */
  assigned: boolean;
  /** Required parts by demo part definition name. */
  requiredParts?: readonly { name: string; quantity: number }[];
}[] = [
  {
    tailNumber: DEMO_PROGRAM_AIRCRAFT,
    type: 'inspection',
    notes: 'Demo: A-check with brake inspection',
    inDays: 3,
    hours: 8,
    program: 'A-check',
    assigned: true,
    requiredParts: [{ name: 'Brake assembly', quantity: 1 }],
  },
  {
    tailNumber: 'N102DA',
    type: 'repair',
    notes: 'Demo: cabin door seal repair',
    inDays: 7,
    hours: 4,
    assigned: false,
  },
  {
    tailNumber: 'N201DA',
    type: 'overhaul',
    notes: 'Demo: landing gear overhaul',
    inDays: 14,
    hours: 24,
    assigned: true,
  },
];

/**
 * Schedules the demo tasks that are missing, through the task service so they are audited as
 * `system:seed`. Must run after the demo users, aircraft, programs and parts; a task whose
 * aircraft is missing is skipped. Returns how many tasks it created.
 */
export async function seedDemoTasks(uow: UnitOfWork, orgId: string): Promise<number> {
  const tasks = new TaskService({ uow });
  const [mechanic] = await uow.repos.users.findCredentials('mechanic@demo.local', orgId);
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  const today = new Date();
  today.setUTCHours(8, 0, 0, 0);
  let created = 0;
  for (const demo of DEMO_TASKS) {
    const aircraft = await uow.repos.aircraft.findByTailNumber(orgId, demo.tailNumber);
    if (!aircraft) continue;
    const existing = await uow.repos.tasks.list(
      orgId,
      { aircraftId: aircraft.id },
      [{ field: 'start_time', direction: 'asc' }],
      page,
    );
    if (existing.some((task) => task.notes === demo.notes)) continue;
    const programs = demo.program
      ? await uow.repos.programs.list(
          orgId,
          { aircraftId: aircraft.id },
          [{ field: 'name', direction: 'asc' }],
          page,
        )
      : [];
    const requiredParts = [];
    for (const part of demo.requiredParts ?? []) {
      const [definition] = await uow.repos.parts.listDefinitions(
        orgId,
        { name: part.name },
        [{ field: 'name', direction: 'asc' }],
        page,
      );
      if (definition) requiredParts.push({ partDefinitionId: definition.id, quantity: part.quantity });
    }
    const startTime = new Date(today.getTime() + demo.inDays * DAY_MS);
    await tasks.create(
      { actor: systemActor('seed') },
      {
        orgId,
        aircraftId: aircraft.id,
        programId: programs.find((program) => program.name === demo.program)?.id,
        type: demo.type,
        startTime,
        endTime: new Date(startTime.getTime() + demo.hours * 3_600_000),
        assignedMechanicId: demo.assigned ? mechanic?.id : undefined,
        notes: demo.notes,
        requiredParts,
      },
    );
    created += 1;
  }
  return created;
}
