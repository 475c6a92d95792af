/**
 * Factories for the directive tables (migration 00022), in the style of factories.ts: each inserts
 * one row with sensible defaults, creates the parents it needs when the overrides name none, and
 * returns the row. Global reference rows (authorities, templates, aircraft types) are looked up,
 * never created.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type {
  AircraftDirectivesTable,
  DirectiveComplianceRecordsTable,
  DirectivesTable,
  OrganizationRegistrationsTable,
} from '../../src/infra/postgres/schema.js';
import { insertAircraft, insertOrganization, insertUser } from './factories.js';
import { aircraftTypeId } from './qualification-factories.js';

type Overrides<T> = Partial<Insertable<T>>;

const unique = (): string => randomUUID().slice(0, 8).toUpperCase();

/** The id of a seeded regulatory authority by code (FAA by default). */
export async function authorityId(db: Executor, code = 'FAA'): Promise<string> {
  const row = await db
    .selectFrom('regulatory_authorities')
    .select('id')
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded compliance template by authority and code (FAA RTS-121 by default). */
export async function complianceTemplateId(
  db: Executor,
  authority = 'FAA',
  code = 'RTS-121',
): Promise<string> {
  const row = await db
    .selectFrom('compliance_templates as t')
    .innerJoin('regulatory_authorities as a', 'a.id', 't.authority_id')
    .select('t.id')
    .where('a.code', '=', authority)
    .where('t.code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An FAA AOC of a new organization unless `org_id` is given. */
export async function insertRegistration(
  db: Executor,
  overrides: Overrides<OrganizationRegistrationsTable> = {},
): Promise<Selectable<OrganizationRegistrationsTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  return db
    .insertInto('organization_registrations')
    .values({
      authority_id: overrides.authority_id ?? (await authorityId(db)),
      approval_type: 'AOC',
      certificate_number: `AOC-${unique()}`,
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A mandatory FAA AD effective 2025-01-01 with a 30-day limit, applying to the aircraft types in
 * `aircraftTypes` (designators; A20N by default), of a new organization unless `org_id` is given.
 */
export async function insertDirective(
  db: Executor,
  overrides: Overrides<DirectivesTable> = {},
  aircraftTypes: string[] = ['A20N'],
): Promise<Selectable<DirectivesTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  const directive = await db
    .insertInto('directives')
    .values({
      authority_id: overrides.authority_id ?? (await authorityId(db)),
      type: 'ad',
      reference_number: `2025-${unique()}`,
      title: 'Inspection of the wing rear spar',
      effective_date: '2025-01-01',
      limit_days: 30,
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const designator of aircraftTypes) {
    await db
      .insertInto('directive_aircraft_types')
      .values({
        org_id: orgId,
        directive_id: directive.id,
        aircraft_type_id: await aircraftTypeId(db, designator),
      })
      .execute();
  }
  return directive;
}

/** A pending tracking row of a new directive on a new aircraft, of one organization. */
export async function insertAircraftDirective(
  db: Executor,
  overrides: Overrides<AircraftDirectivesTable> = {},
): Promise<Selectable<AircraftDirectivesTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  const aircraftId =
    overrides.aircraft_id ??
    (await insertAircraft(db, { org_id: orgId, aircraft_type_id: await aircraftTypeId(db, 'A20N') })).id;
  const directiveId = overrides.directive_id ?? (await insertDirective(db, { org_id: orgId })).id;
  return db
    .insertInto('aircraft_directives')
    .values({
      baseline_date: '2025-01-01',
      baseline_flight_hours: 0,
      baseline_cycles: 0,
      next_due_date: '2025-01-31',
      ...overrides,
      org_id: orgId,
      aircraft_id: aircraftId,
      directive_id: directiveId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A signed compliance act on a new tracking row unless `aircraft_directive_id` is given (with its ids). */
export async function insertComplianceRecord(
  db: Executor,
  overrides: Overrides<DirectiveComplianceRecordsTable> = {},
): Promise<Selectable<DirectiveComplianceRecordsTable>> {
  const tracking =
    overrides.aircraft_directive_id === undefined
      ? await insertAircraftDirective(db, overrides.org_id === undefined ? {} : { org_id: overrides.org_id })
      : await db
          .selectFrom('aircraft_directives')
          .selectAll()
          .where('id', '=', overrides.aircraft_directive_id)
          .executeTakeFirstOrThrow();
  const signedBy = overrides.signed_by ?? (await insertUser(db, { org_id: tracking.org_id })).id;
  return db
    .insertInto('directive_compliance_records')
    .values({
      performed_at: new Date('2025-01-20T10:00:00Z'),
      flight_hours: 100,
      cycles: 50,
      method: 'Inspection per paragraph (g)',
      aircraft_id: tracking.aircraft_id,
      directive_id: tracking.directive_id,
      ...overrides,
      org_id: tracking.org_id,
      aircraft_directive_id: tracking.id,
      signed_by: signedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
