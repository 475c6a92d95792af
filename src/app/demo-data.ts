import type { IntervalType } from '../domain/program.js';
import type { Role } from '../domain/roles.js';
import { calendarDayOf } from '../domain/directive.js';

import type { DependencyType, TaskPriority } from '../domain/scheduling.js';
import type { TaskType } from '../domain/task.js';
import { systemActor, type UserActor } from './actor.js';
import { AircraftService } from './aircraft.js';
import type { AuditEntry } from './audit.js';
import { ComplianceService } from './compliance.js';
import { AppError } from './errors.js';
import { DirectiveComplianceService } from './directive-compliance.js';
import { DirectiveService, type CreateDirectiveInput } from './directives.js';
import { DueListService } from './due-list.js';
import { seedDemoWork } from './demo-work.js';
import { RegulatoryService } from './regulatory.js';
import { NO_LOGIN_LIMITS } from './login-limiter.js';
import { NO_LOCKS } from './locks.js';
import { mutate } from './mutation.js';
import { MAX_PAGE_SIZE } from './pagination.js';
import { ProgramService } from './programs.js';
import { organizationView, orgPolicyView } from './organizations.js';
import { PartService } from './parts.js';
import { PeopleService } from './people.js';
import { QualificationService } from './qualifications.js';
import { TaskDependencyService } from './task-dependencies.js';
import { TaskService } from './tasks.js';
import { userView } from './users.js';
import type { UnitOfWork } from './ports.js';

export const DEMO_ORG_NAME = 'Demo Airline';
/** The documented demo password; `amss seed` refuses to run in production. */
export const DEMO_PASSWORD = 'ChangeMe123!';

/**
 * One demo login per role, and two more mechanics for the qualification features: one whose licence
 * runs out soon and an independent inspector. `note` says what is special about a login.
 */
export const DEMO_USERS: readonly { email: string; role: Role; note?: string }[] = [
  { email: 'admin@demo.local', role: 'admin' },
  { email: 'tenant-admin@demo.local', role: 'tenant_admin' },
  { email: 'scheduler@demo.local', role: 'scheduler' },
  { email: 'mechanic@demo.local', role: 'mechanic', note: 'Part-66 B1, A320neo and 737-800 rated' },
  { email: 'mechanic2@demo.local', role: 'mechanic', note: 'Part-66 B1, licence expires in 20 days' },
  { email: 'inspector@demo.local', role: 'mechanic', note: 'Part-66 B2, independent inspector' },
  { email: 'auditor@demo.local', role: 'auditor' },
];

/**
 * The demo airline's requests per minute per endpoint category: the default (100, the
 * specification's) is one API client's budget; the demo is browsed by several people in the web
 * console at once, each page a handful of reads and live updates refetching what changed.
 */
export const DEMO_API_RATE_LIMIT_PER_MIN = 2_000;

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
  const existing = await uow.repos.organizations.findByName(DEMO_ORG_NAME);
  if (existing && (await missingUsers(uow, existing.id)).length === 0)
    return { orgId: existing.id, created: await seedDemoFleet(uow, existing.id) };
  // Hashed only when a user is missing: a bcrypt hash costs a restart ~0.3 s.
  const passwordHash = await hashPassword(DEMO_PASSWORD);

  const seeded = await mutate(uow, { actor: systemActor('seed') }, async (repos) => {
    const audit: AuditEntry[] = [];
    let org = await repos.organizations.findByName(DEMO_ORG_NAME);
    if (!org) {
      org = await repos.organizations.insert({ name: DEMO_ORG_NAME });
      const defaults = await repos.orgPolicies.insertDefaults(org.id);
      const policy = await repos.orgPolicies.update(org.id, {
        apiRateLimitPerMin: DEMO_API_RATE_LIMIT_PER_MIN,
      });
      audit.push(
        {
          orgId: org.id,
          entityType: 'organization',
          entityId: org.id,
          action: 'create',
          after: organizationView(org),
        },
        {
          orgId: org.id,
          entityType: 'org_policy',
          entityId: org.id,
          action: 'update',
          before: orgPolicyView(defaults),
          after: orgPolicyView(policy!),
        },
      );
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

/**
 * The demo fleet of Demo Airline with its ICAO aircraft types: the A320neo is the A320 family's
 * `A20N`, which the demo mechanics' type ratings, recent hours and the demo inspection
 * requirements name.
 */
export const DEMO_AIRCRAFT: readonly { tailNumber: string; model: string; aircraftType: string }[] = [
  { tailNumber: 'N101DA', model: 'A320neo', aircraftType: 'A20N' },
  { tailNumber: 'N102DA', model: 'A320neo', aircraftType: 'A20N' },
  { tailNumber: 'N201DA', model: 'B737-800', aircraftType: 'B738' },
  // In service, with no work booked: the demo's busy day grounds or hangars the others, and the
  // dashboard's availability and fleet board should show an aircraft flying too.
  { tailNumber: 'N301DA', model: 'A321neo', aircraftType: 'A21N' },
];

/**
 * The demo aircraft, their programs, parts, the people records and inspection requirements, then
 * the tasks (whose assignments are checked against those) and the compliance item of one task;
 * returns how many records it created or completed.
 */
async function seedDemoFleet(uow: UnitOfWork, orgId: string): Promise<number> {
  const aircraft = await seedDemoAircraft(uow, orgId);
  const programs = await seedDemoPrograms(uow, orgId);
  const parts = await seedDemoParts(uow, orgId);
  const people = await seedDemoPeople(uow, orgId);
  const requirements = await seedDemoRequirements(uow, orgId);
  const tasks = await seedDemoTasks(uow, orgId);
  const compliance = await seedDemoCompliance(uow, orgId);
  const work = await seedDemoWork(uow, orgId, { email: 'mechanic@demo.local', password: DEMO_PASSWORD });
  const regulatory = (await seedDemoRegistrations(uow, orgId)) + (await seedDemoDirectives(uow, orgId));
  return aircraft + programs + parts + people + requirements + tasks + compliance + work + regulatory;
}

/**
 * Creates the demo aircraft whose tail numbers the org does not have yet, with their aircraft
 * type, and gives a demo aircraft without a type (seeded before aircraft types existed) its type,
 * through the aircraft service so both are audited as `system:seed`. Returns how many aircraft it
 * created or typed.
 */
export async function seedDemoAircraft(uow: UnitOfWork, orgId: string): Promise<number> {
  const service = new AircraftService({ uow });
  const ctx = { actor: systemActor('seed') };
  const types = await aircraftTypeIds(
    uow,
    DEMO_AIRCRAFT.map((demo) => demo.aircraftType),
  );
  let changed = 0;
  for (const { tailNumber, model, aircraftType } of DEMO_AIRCRAFT) {
    const aircraftTypeId = types.get(aircraftType) ?? null;
    const found = await uow.repos.aircraft.findByTailNumber(orgId, tailNumber);
    if (!found) {
      await service.create(ctx, { orgId, tailNumber, model, aircraftTypeId });
      changed += 1;
    } else if (found.aircraftTypeId === null && aircraftTypeId !== null) {
      await service.update(ctx, found.id, { aircraftTypeId }, { orgId });
      changed += 1;
    }
  }
  return changed;
}

/** The ids of the aircraft types with these designators (absent ones are left out). */
async function aircraftTypeIds(
  uow: UnitOfWork,
  designators: readonly string[],
): Promise<Map<string, string>> {
  const types = await uow.repos.referenceData.findAircraftTypesByDesignators([...new Set(designators)]);
  return new Map(types.map((type) => [type.designator, type.id]));
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

/**
 * The demo parts catalogue with the serials of its items: oil filters expire two years after
 * seeding, the extinguisher cartridges in three weeks; no pitot probe is in stock.
 */
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
    // three in stock: at the reorder point on a fresh start (the stock view flags it)
    reorderPoint: 3,
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
  {
    // a shelf-life item close to its expiry: the stock view and the dashboard count it as expiring soon
    name: 'Fire extinguisher cartridge',
    category: 'fire protection',
    minStockLevel: 1,
    reorderPoint: 1,
    leadTimeDays: 14,
    serials: ['FEC-3001', 'FEC-3002'],
    expiresInDays: 21,
  },
  {
    // none in stock, on order: out of stock on a fresh start (and a critical alert)
    name: 'Pitot probe',
    category: 'air data',
    minStockLevel: 1,
    reorderPoint: 1,
    leadTimeDays: 10,
    serials: [],
  },
];

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
 * The demo's planned work on the first three demo aircraft, `inDays` days after seeding from 08:00
 * UTC for `hours`.
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
  priority?: TaskPriority;
  /**
   * The planner grounded the aircraft by hand when the finding was raised: an aircraft on the
   * ground (AOG) is not in service, whatever its tasks' windows say.
   */
  groundsAircraft?: boolean;
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
  {
    tailNumber: 'N102DA',
    type: 'repair',
    notes: 'Demo: AOG — bird strike damage assessment, left engine inlet',
    inDays: 1,
    hours: 6,
    assigned: false,
    priority: 'aog',
    groundsAircraft: true,
  },
  // The C-check on N201DA: three tasks linked by dependencies (DEMO_DEPENDENCIES); the close-up
  // needs more oil filters than are in stock, so the conflicts view shows a parts shortage.
  {
    tailNumber: 'N201DA',
    type: 'inspection',
    notes: 'Demo: C-check — open up and gain access',
    inDays: 21,
    hours: 10,
    assigned: false,
    priority: 'urgent',
  },
  {
    tailNumber: 'N201DA',
    type: 'inspection',
    notes: 'Demo: C-check — structural inspection',
    inDays: 22,
    hours: 10,
    assigned: false,
    priority: 'urgent',
  },
  {
    tailNumber: 'N201DA',
    type: 'repair',
    notes: 'Demo: C-check — close up and functional tests',
    inDays: 23,
    hours: 10,
    assigned: false,
    priority: 'urgent',
    requiredParts: [{ name: 'Oil filter', quantity: 4 }],
  },
];

/**
 * The demo dependencies, by the notes of their tasks: the C-check's inspection starts once the
 * aircraft is opened up, and its close-up an hour after the inspection is finished.
 */
export const DEMO_DEPENDENCIES: readonly {
  predecessor: string;
  successor: string;
  type: DependencyType;
  lagMinutes: number;
}[] = [
  {
    predecessor: 'Demo: C-check — open up and gain access',
    successor: 'Demo: C-check — structural inspection',
    type: 'finish_to_start',
    lagMinutes: 0,
  },
  {
    predecessor: 'Demo: C-check — structural inspection',
    successor: 'Demo: C-check — close up and functional tests',
    type: 'finish_to_start',
    lagMinutes: 60,
  },
];

/**
 * Schedules the demo tasks that are missing, through the task service so they are audited as
 * `system:seed`. Must run after the demo users, aircraft, programs and parts; a task whose
 * aircraft is missing is skipped. Returns how many tasks it created.
 */
export async function seedDemoTasks(uow: UnitOfWork, orgId: string): Promise<number> {
  const tasks = new TaskService({ uow });
  const aircraftService = new AircraftService({ uow });
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
        priority: demo.priority,
      },
    );
    if (demo.groundsAircraft)
      await aircraftService.update(
        { actor: systemActor('seed') },
        aircraft.id,
        { status: 'grounded' },
        { orgId },
      );
    created += 1;
  }
  return created + (await seedDemoDependencies(uow, orgId));
}

/**
 * Links the demo tasks of DEMO_DEPENDENCIES that are not linked yet, through the dependency
 * service so they are audited as `system:seed`. Returns how many it created.
 */
export async function seedDemoDependencies(uow: UnitOfWork, orgId: string): Promise<number> {
  const dependencies = new TaskDependencyService({ uow });
  const ctx = { actor: systemActor('seed') };
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  const live = await uow.repos.tasks.list(orgId, {}, [{ field: 'start_time', direction: 'asc' }], page);
  const byNotes = new Map(live.map((task) => [task.notes, task.id]));
  let created = 0;
  for (const demo of DEMO_DEPENDENCIES) {
    const predecessorId = byNotes.get(demo.predecessor);
    const successorId = byNotes.get(demo.successor);
    if (!predecessorId || !successorId) continue;
    const existing = await dependencies.list(ctx.actor, successorId, { orgId });
    if (existing.some((d) => d.predecessor.id === predecessorId)) continue;
    await dependencies.add(ctx, successorId, {
      orgId,
      predecessorId,
      type: demo.type,
      lagMinutes: demo.lagMinutes,
    });
    created += 1;
  }
  return created;
}

// ---------------------------------------------------------------------------------------------
// Qualified people: licences, type ratings, skills, recent hours, inspection requirements
// ---------------------------------------------------------------------------------------------

/** A demo person's licence, with the type ratings it carries. Dates are whole UTC days from the seed. */
export interface DemoCertification {
  authority: string;
  code: string;
  certificateNumber: string;
  issuedDaysAgo: number;
  expiresInDays: number;
  /** Type ratings endorsed on this licence, by ICAO designator. */
  ratings: readonly { aircraftType: string; endorsedDaysAgo: number }[];
}

/** The people records of one demo mechanic. */
export interface DemoPerson {
  email: string;
  certifications: readonly DemoCertification[];
  skills: readonly { code: string; proficiency: number; expiresInDays?: number }[];
  /** Hours worked elsewhere on an aircraft type; `notes` identify an entry, so a second run adds none. */
  recency: readonly { aircraftType: string; hours: number; daysAgo: number; notes: string }[];
}

/**
 * The demo mechanic is a Part-66 B1 rated on the A320neo (A20N, the type of the demo A-check) and
 * the 737-800 (the landing gear overhaul), with the skills and recent hours the A320neo inspection
 * requirements ask for; the second mechanic holds the same on the A320neo, but their licence
 * expires 20 days after seeding; the inspector holds a B2 (inspection authority) rated on the
 * A320neo. So that the alert triggers announce one of each level and the dashboard counts every
 * window (issue 14), the mechanic's category A licence expires in 45 days, the inspector's C in 80
 * and their A expired 10 days ago.
 */
export const DEMO_PEOPLE: readonly DemoPerson[] = [
  {
    email: 'mechanic@demo.local',
    certifications: [
      {
        authority: 'EASA',
        code: 'PART66-B1',
        certificateNumber: 'DE.66.10421',
        issuedDaysAgo: 3 * 365,
        expiresInDays: 2 * 365,
        ratings: [
          { aircraftType: 'A20N', endorsedDaysAgo: 2 * 365 },
          { aircraftType: 'B738', endorsedDaysAgo: 400 },
        ],
      },
      // Announced by the alert triggers (issue 14): a warning, 45 days before expiry.
      {
        authority: 'EASA',
        code: 'PART66-A',
        certificateNumber: 'DE.66.10422',
        issuedDaysAgo: 2 * 365,
        expiresInDays: 45,
        ratings: [],
      },
    ],
    skills: [
      { code: 'BORESCOPE', proficiency: 4 },
      { code: 'NDT-ET', proficiency: 3, expiresInDays: 300 },
      { code: 'ENGINE-RUN', proficiency: 3 },
    ],
    recency: [
      { aircraftType: 'A20N', hours: 6.5, daysAgo: 12, notes: 'Demo: line checks on N101DA' },
      { aircraftType: 'A20N', hours: 9, daysAgo: 41, notes: 'Demo: wheel and brake change on N102DA' },
      { aircraftType: 'B738', hours: 7, daysAgo: 25, notes: 'Demo: hydraulic leak check on N201DA' },
    ],
  },
  {
    email: 'mechanic2@demo.local',
    certifications: [
      {
        authority: 'EASA',
        code: 'PART66-B1',
        certificateNumber: 'DE.66.08813',
        issuedDaysAgo: 5 * 365 - 20,
        expiresInDays: 20,
        ratings: [{ aircraftType: 'A20N', endorsedDaysAgo: 3 * 365 }],
      },
    ],
    skills: [{ code: 'BORESCOPE', proficiency: 3 }],
    recency: [{ aircraftType: 'A20N', hours: 12, daysAgo: 9, notes: 'Demo: engine borescope on N102DA' }],
  },
  {
    email: 'inspector@demo.local',
    certifications: [
      {
        authority: 'EASA',
        code: 'PART66-B2',
        certificateNumber: 'DE.66.05120',
        issuedDaysAgo: 4 * 365,
        expiresInDays: 365,
        ratings: [{ aircraftType: 'A20N', endorsedDaysAgo: 3 * 365 }],
      },
      // Expired ten days ago: the certification_expired alert and the dashboard's expired count.
      {
        authority: 'EASA',
        code: 'PART66-A',
        certificateNumber: 'DE.66.05119',
        issuedDaysAgo: 3 * 365,
        expiresInDays: -10,
        ratings: [],
      },
      // An info alert: 80 days before expiry.
      {
        authority: 'EASA',
        code: 'PART66-C',
        certificateNumber: 'DE.66.05121',
        issuedDaysAgo: 4 * 365,
        expiresInDays: 80,
        ratings: [],
      },
    ],
    skills: [
      { code: 'AVIONICS', proficiency: 5 },
      { code: 'EWIS', proficiency: 4 },
    ],
    recency: [
      { aircraftType: 'A20N', hours: 20, daysAgo: 15, notes: 'Demo: avionics bay inspection on N101DA' },
    ],
  },
];

/** Midnight UTC of the day `days` days from today (negative: ago). */
function dayFromToday(days: number): Date {
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  return new Date(today.getTime() + days * DAY_MS);
}

/**
 * Records the demo people's certifications (one per type), type ratings (one per aircraft type),
 * skills (one per skill type) and recent hours (by notes) that are missing, through the people
 * service so they are audited as `system:seed`. A person who is not a user of the org, or a type
 * that does not exist, is skipped.
 *
 * The demo's dates are relative to today, and `npm start` seeds on the first start of every day into
 * a database that may live for months (the embedded PGlite data directory; see demo-seed.ts). So that the demo keeps meaning what
 * DEMO_USERS says (recent hours are recent, the second mechanic's licence expires in 20 days), a run
 * also moves forward a demo record that time has left behind: a licence, skill expiry or recency
 * entry whose dates lie earlier than the demo's, counted from today, gets the demo's dates again
 * (audited as `system:seed`, like any change). Only records still as the seed wrote them are moved:
 * a licence with its demo number, unverified, not revoked and with its issue-to-expiry span intact;
 * a skill with its demo proficiency; an entry with its demo notes, type and hours. Whatever someone
 * changed by hand is theirs and stays. A second run the same day changes nothing. Returns how many
 * records it created or moved.
 */
export async function seedDemoPeople(uow: UnitOfWork, orgId: string): Promise<number> {
  const people = new PeopleService({ uow });
  const ctx = { actor: systemActor('seed') };
  const scope = { orgId };
  const now = new Date();
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  const aircraftTypes = await aircraftTypeIds(
    uow,
    DEMO_PEOPLE.flatMap((person) => [
      ...person.certifications.flatMap((c) => c.ratings.map((r) => r.aircraftType)),
      ...person.recency.map((r) => r.aircraftType),
    ]),
  );
  let created = 0;
  for (const person of DEMO_PEOPLE) {
    const [user] = await uow.repos.users.findCredentials(person.email, orgId);
    if (!user) continue;
    const userId = user.id;

    for (const demo of person.certifications) {
      const type = await uow.repos.referenceData.findCertificationTypeByCode(
        orgId,
        demo.authority,
        demo.code,
      );
      if (!type) continue;
      let [certification] = await uow.repos.people.listCertifications(
        orgId,
        userId,
        { certificationTypeId: type.id },
        [{ field: 'created_at', direction: 'asc' }],
        page,
        now,
      );
      const issueDate = dayFromToday(-demo.issuedDaysAgo);
      const expiryDate = type.expires ? dayFromToday(demo.expiresInDays) : null;
      if (!certification) {
        certification = await people.createCertification(
          ctx,
          userId,
          { certificationTypeId: type.id, certificateNumber: demo.certificateNumber, issueDate, expiryDate },
          scope,
        );
        created += 1;
      } else if (expiryDate !== null && leftBehindLicence(certification, demo, expiryDate)) {
        certification = await people.updateCertification(
          ctx,
          userId,
          certification.id,
          { issueDate, expiryDate },
          scope,
        );
        created += 1;
      }
      const ratings = await uow.repos.people.listTypeRatings(
        orgId,
        userId,
        {},
        [{ field: 'created_at', direction: 'asc' }],
        page,
        now,
      );
      for (const rating of demo.ratings) {
        const aircraftTypeId = aircraftTypes.get(rating.aircraftType);
        if (!aircraftTypeId || ratings.some((held) => held.aircraftTypeId === aircraftTypeId)) continue;
        // A revoked licence carries no new rating: leave the person as someone made them.
        if (certification.status === 'revoked') continue;
        await people.createTypeRating(
          ctx,
          userId,
          {
            aircraftTypeId,
            certificationId: certification.id,
            endorsedDate: dayFromToday(-rating.endorsedDaysAgo),
          },
          scope,
        );
        created += 1;
      }
    }

    const skills = await uow.repos.people.listSkills(
      orgId,
      userId,
      {},
      [{ field: 'created_at', direction: 'asc' }],
      page,
      now,
    );
    for (const demo of person.skills) {
      const type = await uow.repos.referenceData.findSkillTypeByCode(orgId, demo.code);
      if (!type) continue;
      const held = skills.find((skill) => skill.skillTypeId === type.id);
      if (held) {
        const expiryDate = demo.expiresInDays === undefined ? null : dayFromToday(demo.expiresInDays);
        if (
          expiryDate !== null &&
          held.expiryDate !== null &&
          held.proficiency === demo.proficiency &&
          held.expiryDate.getTime() < expiryDate.getTime()
        ) {
          await people.updateSkill(ctx, userId, held.id, { expiryDate }, scope);
          created += 1;
        }
        continue;
      }
      await people.createSkill(
        ctx,
        userId,
        {
          skillTypeId: type.id,
          proficiency: demo.proficiency,
          expiryDate: demo.expiresInDays === undefined ? null : dayFromToday(demo.expiresInDays),
        },
        scope,
      );
      created += 1;
    }

    const logged = await uow.repos.people.listRecency(
      orgId,
      userId,
      { source: 'manual' },
      [{ field: 'performed_at', direction: 'asc' }],
      page,
    );
    for (const demo of person.recency) {
      const aircraftTypeId = aircraftTypes.get(demo.aircraftType);
      if (!aircraftTypeId) continue;
      const performedAt = new Date(dayFromToday(-demo.daysAgo).getTime() + 14 * 3_600_000);
      const entry = logged.find((candidate) => candidate.notes === demo.notes);
      if (entry) {
        if (
          entry.aircraftTypeId === aircraftTypeId &&
          entry.hours === demo.hours &&
          entry.performedAt.getTime() < performedAt.getTime()
        ) {
          await people.updateRecency(ctx, userId, entry.id, { performedAt }, scope);
          created += 1;
        }
        continue;
      }
      await people.logRecency(
        ctx,
        userId,
        { aircraftTypeId, hours: demo.hours, performedAt, notes: demo.notes },
        scope,
      );
      created += 1;
    }
  }
  return created;
}

/**
 * Whether a demo licence is still as the seed wrote it (its number, unverified, not revoked, issued
 * and expiring the demo's span apart) but expires before the demo's date counted from today.
 */
function leftBehindLicence(
  held: {
    certificateNumber: string;
    verifiedAt: Date | null;
    status: string;
    issueDate: Date;
    expiryDate: Date | null;
  },
  demo: DemoCertification,
  expiryDate: Date,
): boolean {
  return (
    held.certificateNumber === demo.certificateNumber &&
    held.verifiedAt === null &&
    held.status !== 'revoked' &&
    held.expiryDate !== null &&
    held.expiryDate.getTime() - held.issueDate.getTime() ===
      (demo.issuedDaysAgo + demo.expiresInDays) * DAY_MS &&
    held.expiryDate.getTime() < expiryDate.getTime()
  );
}

/** One demo task skill requirement: `description` identifies it, so a second run adds none. */
export interface DemoRequirement {
  description: string;
  taskType: TaskType;
  /** ICAO designator of the aircraft type it is narrowed to. */
  aircraftType: string;
  certification?: { authority: string; code: string };
  typeRatingRequired?: boolean;
  skill?: { code: string; minProficiency: number };
  recency?: { minHours: number; windowDays: number };
  certifying?: boolean;
  inspection?: boolean;
}

/**
 * What inspections of an A320neo ask of people: the performer is a Part-66 B1 rated on the type
 * with borescope skill and recent hours on it; whoever signs the work off holds a B1 rated on the
 * type; the independent inspector holds a B2 rated on the type. The demo mechanic meets the first
 * two, the demo inspector the third.
 */
export const DEMO_REQUIREMENTS: readonly DemoRequirement[] = [
  {
    description: 'Demo: A320neo inspections are performed by a Part-66 B1 holder rated on the type',
    taskType: 'inspection',
    aircraftType: 'A20N',
    certification: { authority: 'EASA', code: 'PART66-B1' },
    typeRatingRequired: true,
  },
  {
    description:
      'Demo: A320neo inspections need borescope proficiency 3 and 8 hours on the type within 90 days',
    taskType: 'inspection',
    aircraftType: 'A20N',
    skill: { code: 'BORESCOPE', minProficiency: 3 },
    recency: { minHours: 8, windowDays: 90 },
  },
  {
    description:
      'Demo: A320neo inspections are certified (signed off) by a Part-66 B1 holder rated on the type',
    taskType: 'inspection',
    aircraftType: 'A20N',
    certification: { authority: 'EASA', code: 'PART66-B1' },
    typeRatingRequired: true,
    certifying: true,
  },
  {
    description:
      'Demo: A320neo inspections are independently inspected by a Part-66 B2 holder rated on the type',
    taskType: 'inspection',
    aircraftType: 'A20N',
    certification: { authority: 'EASA', code: 'PART66-B2' },
    typeRatingRequired: true,
    inspection: true,
  },
];

/**
 * Creates the demo task skill requirements that are missing (by description), through the
 * qualification service so they are audited as `system:seed`. Returns how many it created.
 */
export async function seedDemoRequirements(uow: UnitOfWork, orgId: string): Promise<number> {
  const qualifications = new QualificationService({ uow });
  const ctx = { actor: systemActor('seed') };
  const aircraftTypes = await aircraftTypeIds(
    uow,
    DEMO_REQUIREMENTS.map((demo) => demo.aircraftType),
  );
  let created = 0;
  for (const demo of DEMO_REQUIREMENTS) {
    const aircraftTypeId = aircraftTypes.get(demo.aircraftType);
    if (!aircraftTypeId) continue;
    const existing = await uow.repos.qualifications.listRequirements(
      orgId,
      { taskType: demo.taskType, aircraftTypeId },
      [{ field: 'created_at', direction: 'asc' }],
      { limit: MAX_PAGE_SIZE, offset: 0 },
    );
    if (existing.some((requirement) => requirement.description === demo.description)) continue;
    const certification =
      demo.certification &&
      (await uow.repos.referenceData.findCertificationTypeByCode(
        orgId,
        demo.certification.authority,
        demo.certification.code,
      ));
    const skill = demo.skill && (await uow.repos.referenceData.findSkillTypeByCode(orgId, demo.skill.code));
    if ((demo.certification && !certification) || (demo.skill && !skill)) continue;
    await qualifications.createRequirement(ctx, {
      orgId,
      taskType: demo.taskType,
      aircraftTypeId,
      certificationTypeId: certification?.id ?? null,
      typeRatingRequired: demo.typeRatingRequired ?? false,
      skillTypeId: skill?.id ?? null,
      minProficiency: demo.skill?.minProficiency ?? null,
      minRecencyHours: demo.recency?.minHours ?? null,
      recencyWindowDays: demo.recency?.windowDays ?? null,
      certifying: demo.certifying ?? false,
      inspection: demo.inspection ?? false,
      description: demo.description,
    });
    created += 1;
  }
  return created;
}

/** The demo compliance item that needs an independent inspection, on the demo A-check. */
export const DEMO_COMPLIANCE_ITEM = {
  taskNotes: 'Demo: A-check with brake inspection',
  description: 'Demo: brake wear pins measured and within limits (independent inspection required)',
} as const;

/**
 * Adds the demo compliance item that requires an independent inspection to the demo A-check when
 * the task has no item of that description yet, through the compliance service so it is audited as
 * `system:seed`. Nothing when the task is missing or closed. Returns how many items it created.
 */
export async function seedDemoCompliance(uow: UnitOfWork, orgId: string): Promise<number> {
  const aircraft = await uow.repos.aircraft.findByTailNumber(orgId, DEMO_PROGRAM_AIRCRAFT);
  if (!aircraft) return 0;
  const page = { limit: MAX_PAGE_SIZE, offset: 0 };
  const tasks = await uow.repos.tasks.list(
    orgId,
    { aircraftId: aircraft.id },
    [{ field: 'start_time', direction: 'asc' }],
    page,
  );
  const task = tasks.find((t) => t.notes === DEMO_COMPLIANCE_ITEM.taskNotes);
  if (!task || (task.state !== 'scheduled' && task.state !== 'in_progress')) return 0;
  const items = await uow.repos.compliance.list(
    orgId,
    { taskId: task.id },
    [{ field: 'created_at', direction: 'asc' }],
    page,
  );
  if (items.some((item) => item.description === DEMO_COMPLIANCE_ITEM.description)) return 0;
  await new ComplianceService({ uow, loginLimiter: NO_LOGIN_LIMITS }).create(
    { actor: systemActor('seed') },
    { orgId, taskId: task.id, description: DEMO_COMPLIANCE_ITEM.description, requiresInspection: true },
  );
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Regulatory approvals and airworthiness directives
// ---------------------------------------------------------------------------------------------

/** The demo organization's approvals: an FAA air operator certificate and an EASA Part-145. */
export const DEMO_REGISTRATIONS: readonly {
  authority: string;
  approvalType: string;
  certificateNumber: string;
  validFromDaysAgo: number;
  validForDays: number | null;
  scope: string;
}[] = [
  {
    authority: 'FAA',
    approvalType: 'AOC',
    certificateNumber: 'DMAA123F',
    validFromDaysAgo: 6 * 365,
    validForDays: null,
    scope: 'Part 121 scheduled passenger operations, A320neo and 737-800',
  },
  {
    authority: 'EASA',
    approvalType: 'Part-145',
    certificateNumber: 'EASA.145.0815',
    validFromDaysAgo: 4 * 365,
    validForDays: 2 * 365,
    scope: 'A1 rating: Airbus A320neo family, Boeing 737-600/700/800/900',
  },
];

/** The authority ids by code (ignores the codes that do not exist). */
async function authorityIds(uow: UnitOfWork, codes: readonly string[]): Promise<Map<string, string>> {
  const authorities = await uow.repos.regulatory.listAuthorities({}, [{ field: 'code', direction: 'asc' }], {
    limit: MAX_PAGE_SIZE,
    offset: 0,
  });
  return new Map(authorities.filter((a) => codes.includes(a.code)).map((a) => [a.code, a.id]));
}

/**
 * Records the demo approvals the organization does not hold yet (by authority, approval type and
 * certificate number), through the regulatory service so they are audited as `system:seed`.
 * Returns how many it created.
 */
export async function seedDemoRegistrations(uow: UnitOfWork, orgId: string): Promise<number> {
  const service = new RegulatoryService({
    uow,
    compliance: new ComplianceService({ uow, loginLimiter: NO_LOGIN_LIMITS }),
  });
  const authorities = await authorityIds(
    uow,
    DEMO_REGISTRATIONS.map((demo) => demo.authority),
  );
  let created = 0;
  for (const demo of DEMO_REGISTRATIONS) {
    const authorityId = authorities.get(demo.authority);
    if (!authorityId) continue;
    const key = { authorityId, approvalType: demo.approvalType, certificateNumber: demo.certificateNumber };
    if (await uow.repos.regulatory.findDuplicateRegistration(orgId, key)) continue;
    const validFrom = dayFromToday(-demo.validFromDaysAgo);
    await service.createRegistration({ actor: systemActor('seed') }, orgId, {
      ...key,
      validFrom: calendarDayOf(validFrom),
      validUntil:
        demo.validForDays === null
          ? null
          : calendarDayOf(new Date(validFrom.getTime() + demo.validForDays * DAY_MS)),
      scope: demo.scope,
    });
    created += 1;
  }
  return created;
}

/** A demo directive, and the demo aircraft on which the demo mechanic complied with it (and when). */
export interface DemoDirective {
  authority: string;
  referenceNumber: string;
  input: Omit<
    CreateDirectiveInput,
    'orgId' | 'authorityId' | 'referenceNumber' | 'aircraftTypeIds' | 'effectiveDate'
  >;
  /** ICAO designators of the aircraft types it applies to. */
  aircraftTypes: readonly string[];
  effectiveDaysAgo: number;
  complied?: { tailNumber: string; daysAgo: number; method: string };
}

/**
 * The demo directives: a one-time FAA AD on the A320neo due 30 days after it took effect 40 days
 * before seeding, complied with on N101DA by the demo mechanic and overdue on N102DA; a recurring
 * EASA AD on the 737-800 every 600 flight hours or 12 months, complied with on N201DA four months
 * before seeding, so pending with its next due; a recommended service bulletin on the A320neo with
 * no limit, pending on both; a one-time FAA AD on the 737-800 due 60 days after it took effect 45
 * days before seeding, so due within the warning window on N201DA.
 */
export const DEMO_DIRECTIVES: readonly DemoDirective[] = [
  {
    authority: 'FAA',
    referenceNumber: 'Demo AD 2026-18-04',
    aircraftTypes: ['A20N'],
    effectiveDaysAgo: 40,
    input: {
      type: 'ad',
      title: 'Airbus A320neo: inspect the engine pylon aft mount fittings for cracks',
      description:
        'Prompted by reports of cracked aft mount fittings. Detailed visual and eddy-current ' +
        'inspection of both pylons; replace a cracked fitting before further flight.',
      applicability: 'mandatory',
      limit: { days: 30 },
      sourceUrl: 'https://www.federalregister.gov/',
    },
    complied: {
      tailNumber: 'N101DA',
      daysAgo: 20,
      method: 'Detailed visual and eddy-current inspection of both pylons per the AD: no cracks found',
    },
  },
  {
    authority: 'EASA',
    referenceNumber: 'Demo AD 2025-0212',
    aircraftTypes: ['B738'],
    effectiveDaysAgo: 400,
    input: {
      type: 'ad',
      title: 'Boeing 737-800: repetitive inspection of the elevator tab hinge fittings',
      description:
        'Repetitive detailed inspection of the elevator tab hinge fittings for wear and corrosion.',
      applicability: 'mandatory',
      limit: { days: 365 },
      recurrence: { calendar: { value: 12, unit: 'months' }, flightHours: 600 },
      sourceUrl: 'https://ad.easa.europa.eu/',
    },
    complied: {
      tailNumber: 'N201DA',
      daysAgo: 120,
      method: 'Detailed inspection of both elevator tab hinge fittings per the AD: within limits',
    },
  },
  {
    authority: 'EASA',
    referenceNumber: 'Demo SB A320-21-1187',
    aircraftTypes: ['A20N'],
    effectiveDaysAgo: 15,
    input: {
      type: 'sb',
      title: 'A320neo: replace the avionics compartment ventilation filter with the improved part',
      description: 'Recommended: improved filter element extends the cleaning interval.',
      applicability: 'recommended',
    },
  },
  {
    authority: 'FAA',
    referenceNumber: 'Demo AD 2026-21-09',
    aircraftTypes: ['B738'],
    effectiveDaysAgo: 45,
    input: {
      type: 'ad',
      title: 'Boeing 737-800: replace the cargo fire extinguishing bottle discharge heads',
      description:
        'Discharge heads from one production lot may not fire. Identify the lot and replace the ' +
        'affected heads within 60 days.',
      applicability: 'mandatory',
      limit: { days: 60 },
      sourceUrl: 'https://www.federalregister.gov/',
    },
  },
];

/**
 * Creates the demo directives that are missing (by authority and reference number), scans the
 * fleet for each one it created (the set-based tracking of POST /directives/{id}/scan-fleet),
 * records the demo mechanic's compliance where the demo says so, then runs the due tracker once so
 * what is past its limit is `overdue` as the worker would make it. Returns how many records it
 * created or changed; a second run creates nothing.
 *
 * Directive dates are NOT refreshed on a later start, unlike the people demo: a compliance record
 * is immutable history and an effective date is the authority's, so moving them would falsify the
 * record. On a later start the FAA AD stays overdue on N102DA (and complied on N101DA), the EASA
 * AD's next due on N201DA comes closer and the due tracker turns it overdue once passed, and the
 * service bulletin stays pending without a limit. An aircraft added later is tracked by the
 * aircraft service, not by a rescan here (a scan is only run for a directive this run created).
 *
 * The compliance is recorded through the directive compliance service as the demo mechanic, who
 * signs with the documented demo password (re-authenticated and qualified like any signer), so its
 * audit row names the mechanic, not `system:seed`. When that fails (the mechanic's password or
 * licence was changed) the directive stays uncomplied rather than stopping the start.
 */
export async function seedDemoDirectives(uow: UnitOfWork, orgId: string): Promise<number> {
  const directives = new DirectiveService({ uow });
  const ctx = { actor: systemActor('seed') };
  const authorities = await authorityIds(
    uow,
    DEMO_DIRECTIVES.map((demo) => demo.authority),
  );
  const types = await aircraftTypeIds(
    uow,
    DEMO_DIRECTIVES.flatMap((demo) => demo.aircraftTypes),
  );
  const [mechanic] = await uow.repos.users.findCredentials('mechanic@demo.local', orgId);
  let created = 0;
  for (const demo of DEMO_DIRECTIVES) {
    const authorityId = authorities.get(demo.authority);
    const aircraftTypeIds = demo.aircraftTypes.flatMap((code) => types.get(code) ?? []);
    if (!authorityId || aircraftTypeIds.length === 0) continue;
    const existing = await uow.repos.directives.list(
      orgId,
      { authorityId, q: demo.referenceNumber },
      [{ field: 'created_at', direction: 'asc' }],
      { limit: MAX_PAGE_SIZE, offset: 0 },
    );
    if (existing.some((directive) => directive.referenceNumber === demo.referenceNumber)) continue;
    const directive = await directives.create(ctx, {
      ...demo.input,
      orgId,
      authorityId,
      referenceNumber: demo.referenceNumber,
      aircraftTypeIds,
      effectiveDate: calendarDayOf(dayFromToday(-demo.effectiveDaysAgo)),
    });
    await directives.scanFleet(ctx, directive.id, { orgId });
    created += 2;
    if (demo.complied && mechanic) {
      const aircraft = await uow.repos.aircraft.findByTailNumber(orgId, demo.complied.tailNumber);
      if (!aircraft) continue;
      const signer: UserActor = { kind: 'user', userId: mechanic.id, orgId, role: mechanic.role, scopes: [] };
      try {
        await new DirectiveComplianceService({ uow, loginLimiter: NO_LOGIN_LIMITS }).record(
          { actor: signer },
          {
            orgId,
            aircraftId: aircraft.id,
            directiveId: directive.id,
            performedAt: new Date(dayFromToday(-demo.complied.daysAgo).getTime() + 10 * 3_600_000),
            method: demo.complied.method,
            password: DEMO_PASSWORD,
          },
        );
        created += 1;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
  }
  return created + (await new DueListService({ uow }).markOverdue({ actor: systemActor('seed') }));
}
