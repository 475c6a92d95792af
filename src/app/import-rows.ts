import { randomUUID } from 'node:crypto';
import {
  normalizeModel,
  normalizeTailNumber,
  type Aircraft,
  type AircraftStatus,
} from '../domain/aircraft.js';
import type { DomainEvent } from '../domain/events.js';
import { normalizeDesignator } from '../domain/reference-data.js';
import { combinedOutcome, type ImportType, type RowOutcome } from '../domain/import.js';
import type { PartDefinition, PartItem, PartItemStatus } from '../domain/part.js';
import { normalizeProgramName, type IntervalType, type MaintenanceProgram } from '../domain/program.js';
import type { TaskPriority } from '../domain/scheduling.js';
import type { TaskType } from '../domain/task.js';
import {
  AircraftService,
  aircraftCreateEffects,
  aircraftUpdateEffects,
  isRowOnlyUpdate,
  newAircraft,
  updatedFields,
  type UpdateAircraftInput,
} from './aircraft.js';
import { auditRecord, type AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import { NO_LOCKS } from './locks.js';
import type { MutationContext } from './mutation.js';
import { PartService, type UpdatePartDefinitionInput, type UpdatePartItemInput } from './parts.js';
import type { Repositories, UnitOfWork } from './ports.js';
import {
  checkedPatch,
  newProgram,
  programCreateEffects,
  programUpdateEffects,
  ProgramService,
  type NewProgram,
  type ProgramPatch,
} from './programs.js';

/**
 * Applying one import row through the same services the REST endpoints call, so every rule,
 * audit row and event of a create or update applies to imported rows too. The upsert rules make
 * a re-applied row a no-op: an entity found by its natural key is changed only in the fields the
 * row sets to something else, and left alone (no audit row, no event) when nothing differs.
 */

/**
 * The fields of an aircraft row, as the REST create body names them, except that the ICAO type is
 * named by its designator (`aircraft_type`); `aircraft_type_id` is what that designator resolved to.
 */
interface AircraftRow {
  tail_number: string;
  model: string;
  aircraft_type?: string;
  aircraft_type_id?: string;
  serial_number?: string;
  status?: AircraftStatus;
  capacity_slots?: number;
  last_maintenance?: string;
  next_due?: string;
}

/** A parts row: a part definition (by name) and optionally one serialized item of it. */
export interface PartsRow {
  name: string;
  category: string;
  min_stock_level?: number;
  reorder_point?: number;
  lead_time_days?: number;
  serial_number?: string;
  status?: PartItemStatus;
  expiry_date?: string;
}

/** A program row; `tail_number` names its aircraft (a template without it). */
interface ProgramRow {
  name: string;
  interval_type: IntervalType;
  interval_value: number;
  tail_number?: string;
  last_performed?: string;
  lead_value?: number;
  task_type?: TaskType;
  task_duration_minutes?: number;
  task_priority?: TaskPriority;
}

/** The services a batch applies its rows with, bound to the batch's unit of work. */
export interface RowServices {
  aircraft: AircraftService;
  parts: PartService;
  programs: ProgramService;
}

export const rowServices = (unit: UnitOfWork, now: () => Date): RowServices => ({
  aircraft: new AircraftService({ uow: unit, now }),
  // Item reservations are not part of an import, so their locks are never needed here.
  parts: new PartService({ uow: unit, locks: NO_LOCKS }),
  programs: new ProgramService({ uow: unit, now }),
});

/** Applies one checked row of `type` in `orgId`; returns what it did, or throws the AppError that refused it. */
export function applyRow(
  type: ImportType,
  value: Record<string, unknown>,
  target: { orgId: string; ctx: MutationContext; services: RowServices; repos: Repositories },
): Promise<RowOutcome> {
  switch (type) {
    case 'aircraft':
      return applyAircraft(value as unknown as AircraftRow, target);
    case 'parts':
      return applyParts(value as unknown as PartsRow, target);
    case 'programs':
      return applyProgram(value as unknown as ProgramRow, target);
  }
}

type Target = Parameters<typeof applyRow>[2];

/** Aircraft by tail number (normalized as the API stores it). */
async function applyAircraft(
  input: AircraftRow,
  { orgId, ctx, services, repos }: Target,
): Promise<RowOutcome> {
  const row = input.aircraft_type_id === undefined ? await withAircraftType(repos, input) : input;
  const existing = await repos.aircraft.findByTailNumber(orgId, normalizeTailNumber(row.tail_number));
  if (!existing) {
    await services.aircraft.create(ctx, { orgId, ...aircraftInput(row) });
    return 'created';
  }
  const patch = aircraftPatch(row, existing);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await services.aircraft.update(ctx, existing.id, patch, { orgId });
  return 'updated';
}

/** An aircraft row as the create endpoint's input (its type already resolved to `aircraft_type_id`). */
const aircraftInput = (row: AircraftRow) => ({
  tailNumber: row.tail_number,
  model: row.model,
  aircraftTypeId: row.aircraft_type_id,
  serialNumber: row.serial_number,
  status: row.status,
  capacitySlots: row.capacity_slots,
  lastMaintenance: toDate(row.last_maintenance),
  nextDue: toDate(row.next_due),
});

/** The fields an aircraft row sets to something other than the stored aircraft has (empty: nothing to do). */
function aircraftPatch(row: AircraftRow, existing: Aircraft): UpdateAircraftInput {
  const patch: UpdateAircraftInput = {};
  if (normalizeModel(row.model) !== existing.model) patch.model = row.model;
  if (differs(row.aircraft_type_id, existing.aircraftTypeId)) patch.aircraftTypeId = row.aircraft_type_id;
  if (differs(row.serial_number?.trim(), existing.serialNumber)) patch.serialNumber = row.serial_number;
  if (row.status !== undefined && row.status !== existing.status) patch.status = row.status;
  if (differs(row.capacity_slots, existing.capacitySlots)) patch.capacitySlots = row.capacity_slots;
  if (differsInTime(row.last_maintenance, existing.lastMaintenance)) {
    patch.lastMaintenance = toDate(row.last_maintenance);
  }
  if (differsInTime(row.next_due, existing.nextDue)) patch.nextDue = toDate(row.next_due);
  return patch;
}

/** A checked row of a batch. */
export interface CheckedRow {
  id: string;
  rowNumber: number;
  value: Record<string, unknown>;
}

/** The refusal of a row whose `aircraft_type` designator names no aircraft type. */
const unknownAircraftType = (designator: string): AppError =>
  new AppError(
    'validation',
    'AIRCRAFT_TYPE_NOT_FOUND',
    `no aircraft type with ICAO designator ${designator}`,
    [{ field: 'aircraft_type', message: 'names no aircraft type of GET /aircraft-types' }],
  );

/** The row with its `aircraft_type` designator resolved to `aircraft_type_id`, as a batch of one. */
async function withAircraftType(repos: Repositories, row: AircraftRow): Promise<AircraftRow> {
  const value = row as unknown as Record<string, unknown>;
  const { resolved, refused } = await resolveAircraftTypes(repos, [{ id: '', rowNumber: 0, value }]);
  if (refused[0]) throw refused[0].error;
  return resolved[0]!.value as unknown as AircraftRow;
}

/**
 * Resolves the `aircraft_type` designators of a batch in one query: each row gets its
 * `aircraft_type_id`, or is refused when its designator names no type.
 */
async function resolveAircraftTypes(
  repos: Repositories,
  rows: CheckedRow[],
): Promise<{ resolved: CheckedRow[]; refused: { row: CheckedRow; error: AppError }[] }> {
  const designatorOf = (row: CheckedRow) => {
    const cell = (row.value as unknown as AircraftRow).aircraft_type;
    return cell === undefined ? undefined : normalizeDesignator(cell);
  };
  const wanted = [...new Set(rows.map(designatorOf).filter((d): d is string => d !== undefined))];
  const ids = new Map(
    (await repos.referenceData.findAircraftTypesByDesignators(wanted)).map((type) => [
      type.designator,
      type.id,
    ]),
  );
  const result = { resolved: [] as CheckedRow[], refused: [] as { row: CheckedRow; error: AppError }[] };
  for (const row of rows) {
    const designator = designatorOf(row);
    if (designator === undefined) result.resolved.push(row);
    else if (!ids.has(designator)) result.refused.push({ row, error: unknownAircraftType(designator) });
    else result.resolved.push({ ...row, value: { ...row.value, aircraft_type_id: ids.get(designator) } });
  }
  return result;
}

/** A row that changes an existing aircraft, and which one. */
export interface AircraftUpdateRow {
  row: CheckedRow;
  aircraftId: string;
}

/**
 * How a batch of aircraft rows is applied: rows whose `aircraft_type` names no aircraft type are
 * refused; rows whose aircraft exists and already looks as the row says are unchanged; rows of
 * new tail numbers (each once in the batch) can be inserted together, and rows that change only
 * the aircraft's own fields (`isRowOnlyUpdate`) updated together; the rest (a new type or serial
 * number, a return to operational, a tail number repeated in the batch) go row by row.
 * Designators and tail numbers are looked up with one query each.
 */
export async function planAircraftBatch(
  repos: Repositories,
  orgId: string,
  checked: CheckedRow[],
): Promise<{
  refused: { row: CheckedRow; error: AppError }[];
  unchanged: CheckedRow[];
  inserts: CheckedRow[];
  updates: AircraftUpdateRow[];
  oneByOne: CheckedRow[];
}> {
  const { resolved: rows, refused } = await resolveAircraftTypes(repos, checked);
  const tailOf = (row: CheckedRow) => normalizeTailNumber((row.value as unknown as AircraftRow).tail_number);
  const existing = new Map(
    (await repos.imports.findAircraftByTailNumbers(orgId, [...new Set(rows.map(tailOf))])).map((a) => [
      a.tailNumber,
      a,
    ]),
  );
  const repeated = repeatedKeys(rows.map(tailOf));
  const plan = {
    refused,
    unchanged: [] as CheckedRow[],
    inserts: [] as CheckedRow[],
    updates: [] as AircraftUpdateRow[],
    oneByOne: [] as CheckedRow[],
  };
  for (const row of rows) {
    const tail = tailOf(row);
    const aircraft = existing.get(tail);
    if (repeated.has(tail)) {
      plan.oneByOne.push(row);
      continue;
    }
    if (!aircraft) {
      plan.inserts.push(row);
      continue;
    }
    const patch = aircraftPatch(row.value as unknown as AircraftRow, aircraft);
    if (Object.keys(patch).length === 0) plan.unchanged.push(row);
    else if (isRowOnlyUpdate(aircraft, patch)) plan.updates.push({ row, aircraftId: aircraft.id });
    else plan.oneByOne.push(row);
  }
  return plan;
}

/**
 * Applies row-only changes to existing aircraft together, as `AircraftService.update` applies
 * each (the same checks, fields, audit row and events), in the caller's transaction: the
 * aircraft are locked and read again, each row's change is worked out against the locked
 * aircraft, then all are written in one statement and recorded in one more. A row whose aircraft
 * no longer needs the change is unchanged; one whose change is no longer row-only (or whose
 * aircraft is gone) is handed back to go row by row; one the checks refuse is refused.
 */
export async function updateAircraftBatch(
  repos: Repositories,
  orgId: string,
  updates: AircraftUpdateRow[],
  context: (row: CheckedRow) => MutationContext,
): Promise<BulkOutcome> {
  const locked = new Map(
    (await repos.imports.lockAircraft(orgId, [...new Set(updates.map((u) => u.aircraftId))])).map((a) => [
      a.id,
      a,
    ]),
  );
  const outcome: BulkOutcome = { applied: [], refused: [], oneByOne: [] };
  const writes: { row: CheckedRow; before: Aircraft; fields: ReturnType<typeof updatedFields> }[] = [];
  for (const { row, aircraftId } of updates) {
    const before = locked.get(aircraftId);
    const patch = before && aircraftPatch(row.value as unknown as AircraftRow, before);
    if (!before || !patch || !isRowOnlyUpdate(before, patch)) outcome.oneByOne.push(row);
    else if (Object.keys(patch).length === 0) outcome.applied.push({ row, outcome: 'unchanged' });
    else {
      const fields = checkedRow(row, outcome, () => updatedFields(before, patch));
      if (fields) writes.push({ row, before, fields });
    }
  }
  const written = await repos.imports.updateAircraft(
    orgId,
    writes.map(({ before, fields }) => ({
      id: before.id,
      model: fields.model ?? before.model,
      status: fields.status ?? before.status,
      statusSource: fields.statusSource ?? before.statusSource,
      capacitySlots: fields.capacitySlots ?? before.capacitySlots,
      lastMaintenance: fields.lastMaintenance === undefined ? before.lastMaintenance : fields.lastMaintenance,
      nextDue: fields.nextDue === undefined ? before.nextDue : fields.nextDue,
    })),
    new Date(),
  );
  const after = new Map(written.map((aircraft) => [aircraft.id, aircraft]));
  await recordChanges(
    repos,
    writes.map(({ row, before }) => ({
      row,
      effects: aircraftUpdateEffects({
        before,
        after: after.get(before.id)!,
        changeId: randomUUID(),
        newlyTracked: 0,
      }),
    })),
    context,
  );
  outcome.applied.push(...writes.map(({ row }) => ({ row, outcome: 'updated' as const })));
  return outcome;
}

/**
 * Creates the aircraft of new tail numbers in one statement, with the row (`newAircraft`), audit
 * row and `aircraft_created` event each would get from `AircraftService.create` (the same
 * constraints in the database), written in the caller's transaction; the
 * live active directives that apply to them track them in one more statement.
 */
export async function insertAircraftBatch(
  repos: Repositories,
  orgId: string,
  rows: CheckedRow[],
  context: (row: CheckedRow) => MutationContext,
): Promise<void> {
  const created = await repos.imports.insertAircraft(
    rows.map((row) => newAircraft(orgId, aircraftInput(row.value as unknown as AircraftRow))),
  );
  // The directives that apply to the new aircraft track them, in one statement for the batch.
  await repos.directives.trackApplicable(orgId, { aircraftIds: created.map((aircraft) => aircraft.id) });
  const byTail = new Map(created.map((aircraft) => [aircraft.tailNumber, aircraft]));
  await recordChanges(
    repos,
    rows.map((row) => ({
      row,
      effects: aircraftCreateEffects(
        byTail.get(normalizeTailNumber((row.value as unknown as AircraftRow).tail_number))!,
      ),
    })),
    context,
  );
}

/** A part definition by name, then its item by serial number (which must belong to that definition). */
async function applyParts(row: PartsRow, { orgId, ctx, services, repos }: Target): Promise<RowOutcome> {
  const outcomes: RowOutcome[] = [];
  const name = row.name.trim();
  let definitionId = await repos.imports.findDefinitionIdByName(orgId, name);
  if (definitionId === undefined) {
    const created = await services.parts.createDefinition(ctx, {
      orgId,
      name: row.name,
      category: row.category,
      minStockLevel: row.min_stock_level,
      reorderPoint: row.reorder_point,
      leadTimeDays: row.lead_time_days,
    });
    definitionId = created.id;
    outcomes.push('created');
  } else {
    const existing = await services.parts.getDefinition(ctx.actor, definitionId, { orgId });
    const patch = definitionPatch(row, existing);
    if (Object.keys(patch).length > 0) {
      await services.parts.updateDefinition(ctx, definitionId, patch, { orgId });
      outcomes.push('updated');
    } else {
      outcomes.push('unchanged');
    }
  }
  if (row.serial_number !== undefined) {
    outcomes.push(await applyItem(row, row.serial_number, definitionId, { orgId, ctx, services, repos }));
  }
  return combinedOutcome(outcomes);
}

async function applyItem(
  row: PartsRow,
  serial: string,
  definitionId: string,
  { orgId, ctx, services, repos }: Target,
): Promise<RowOutcome> {
  const serialNumber = serial.trim();
  const found = await repos.imports.findItemBySerial(orgId, serialNumber);
  if (!found) {
    await services.parts.createItem(ctx, {
      orgId,
      partDefinitionId: definitionId,
      serialNumber,
      status: row.status,
      expiryDate: toDate(row.expiry_date),
    });
    return 'created';
  }
  if (found.partDefinitionId !== definitionId) throw serialOfAnotherDefinition(serialNumber);
  const existing = await services.parts.getItem(ctx.actor, found.id, { orgId });
  const patch = itemPatch(row, existing);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await services.parts.updateItem(ctx, found.id, patch, { orgId });
  return 'updated';
}

/** The stock settings a parts row sets to something other than the definition has (empty: nothing to do). */
export function definitionPatch(
  row: PartsRow,
  existing: Pick<PartDefinition, 'category' | 'minStockLevel' | 'reorderPoint' | 'leadTimeDays'>,
): UpdatePartDefinitionInput {
  const patch: UpdatePartDefinitionInput = {};
  if (row.category.trim() !== existing.category) patch.category = row.category;
  if (differs(row.min_stock_level, existing.minStockLevel)) patch.minStockLevel = row.min_stock_level;
  if (differs(row.reorder_point, existing.reorderPoint)) patch.reorderPoint = row.reorder_point;
  if (differs(row.lead_time_days, existing.leadTimeDays)) patch.leadTimeDays = row.lead_time_days;
  return patch;
}

/** The status and expiry a parts row sets to something other than its item has (empty: nothing to do). */
export function itemPatch(
  row: PartsRow,
  existing: Pick<PartItem, 'status' | 'expiryDate'>,
): UpdatePartItemInput {
  const patch: UpdatePartItemInput = {};
  if (row.status !== undefined && row.status !== existing.status) patch.status = row.status;
  if (differsInTime(row.expiry_date, existing.expiryDate)) patch.expiryDate = toDate(row.expiry_date);
  return patch;
}

/** The refusal of a parts row whose serial number is taken by an item of another definition. */
export const serialOfAnotherDefinition = (serialNumber: string): AppError =>
  AppError.conflict(
    'SERIAL_TAKEN',
    `part item ${serialNumber} already exists as an item of another part definition`,
    [{ field: 'serial_number', message: 'belongs to another part definition' }],
  );

/** A program by (name, aircraft tail number); a row without a tail number is a template. */
async function applyProgram(row: ProgramRow, { orgId, ctx, services, repos }: Target): Promise<RowOutcome> {
  let aircraftId: string | null = null;
  if (row.tail_number !== undefined) {
    const tailNumber = normalizeTailNumber(row.tail_number);
    const aircraft = await repos.aircraft.findByTailNumber(orgId, tailNumber);
    if (!aircraft) throw noAircraftWithTail(tailNumber);
    aircraftId = aircraft.id;
  }
  const programId = await repos.imports.findProgramId(orgId, normalizeProgramName(row.name), aircraftId);
  if (programId === undefined) {
    await services.programs.create(ctx, { orgId, ...programInput(row, aircraftId) });
    return 'created';
  }
  const patch = programPatch(row, await services.programs.get(ctx.actor, programId, { orgId }));
  if (Object.keys(patch).length === 0) return 'unchanged';
  await services.programs.update(ctx, programId, patch, { orgId });
  return 'updated';
}

/** The refusal of a program row whose tail number names no live aircraft. */
const noAircraftWithTail = (tailNumber: string): AppError =>
  new AppError('not_found', 'AIRCRAFT_NOT_FOUND', `no live aircraft with tail_number ${tailNumber}`, [
    { field: 'tail_number', message: 'no live aircraft with this tail number in the organization' },
  ]);

/** A program row as the create endpoint's input, bound to `aircraftId` (null: a template). */
const programInput = (row: ProgramRow, aircraftId: string | null) => ({
  name: row.name,
  intervalType: row.interval_type,
  intervalValue: row.interval_value,
  aircraftId: aircraftId ?? undefined,
  lastPerformed: toDate(row.last_performed),
  leadValue: row.lead_value,
  taskType: row.task_type,
  taskDurationMinutes: row.task_duration_minutes,
  taskPriority: row.task_priority,
});

/** The fields a program row sets to something other than the stored program has (empty: nothing to do). */
function programPatch(row: ProgramRow, existing: MaintenanceProgram): ProgramPatch {
  const patch: ProgramPatch = {};
  if (row.interval_type !== existing.intervalType) patch.intervalType = row.interval_type;
  if (row.interval_value !== existing.intervalValue) patch.intervalValue = row.interval_value;
  if (differsInTime(row.last_performed, existing.lastPerformed))
    patch.lastPerformed = toDate(row.last_performed);
  if (differs(row.lead_value, existing.leadValue)) patch.leadValue = row.lead_value;
  if (differs(row.task_type, existing.taskType)) patch.taskType = row.task_type;
  if (differs(row.task_duration_minutes, existing.taskDurationMinutes)) {
    patch.taskDurationMinutes = row.task_duration_minutes;
  }
  if (differs(row.task_priority, existing.taskPriority ?? 'routine')) patch.taskPriority = row.task_priority;
  return patch;
}

/**
 * Applies a batch of program rows together, as `ProgramService.create` and `update` apply each
 * (the same checks, rows, audit rows and events), in the caller's transaction: tail numbers and
 * programs are looked up with one query each; then, in the order every task change takes its
 * locks (aircraft first, then programs), the aircraft of new programs are held against deletion
 * (as a creation does) and the programs a row changes are locked and compared again; the new
 * programs are inserted in one statement, the changed ones written in another, and everything
 * recorded in one more. A row whose tail number names no aircraft, or that the checks refuse, is
 * refused; a key repeated in the batch, or whose program or aircraft went away meanwhile, is
 * handed back to go row by row.
 */
export async function applyProgramBatch(
  repos: Repositories,
  orgId: string,
  checked: CheckedRow[],
  context: (row: CheckedRow) => MutationContext,
  now: Date,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { applied: [], refused: [], oneByOne: [] };
  const rowOf = (row: CheckedRow) => row.value as unknown as ProgramRow;
  const tails = new Map(
    (
      await repos.imports.findAircraftByTailNumbers(orgId, [
        ...new Set(checked.flatMap((row) => tailsOf(rowOf(row)))),
      ])
    ).map((aircraft) => [aircraft.tailNumber, aircraft.id]),
  );
  const keyed: { row: CheckedRow; key: string; name: string; aircraftId: string | null }[] = [];
  for (const row of checked) {
    const [tail] = tailsOf(rowOf(row));
    const aircraftId = tail === undefined ? null : tails.get(tail);
    const name = normalizeProgramName(rowOf(row).name);
    if (aircraftId === undefined) outcome.refused.push({ row, error: noAircraftWithTail(tail!) });
    else keyed.push({ row, key: programKey(name, aircraftId), name, aircraftId });
  }
  const repeated = repeatedKeys(keyed.map(({ key }) => key));
  // A key repeated in the batch goes row by row, in file order.
  outcome.oneByOne.push(...keyed.filter(({ key }) => repeated.has(key)).map(({ row }) => row));
  const single = keyed.filter(({ key }) => !repeated.has(key));
  const ids = await repos.imports.findProgramIds(orgId, single);
  const found = new Map(
    (
      await repos.programs.findMany(
        orgId,
        ids.filter((id) => id !== undefined),
      )
    ).map((program) => [program.id, program]),
  );
  const creates: { row: CheckedRow; key: string; fields: NewProgram }[] = [];
  const changes: { row: CheckedRow; id: string }[] = [];
  for (const [i, { row, key, aircraftId }] of single.entries()) {
    const id = ids[i];
    const program = id === undefined ? undefined : found.get(id);
    if (id !== undefined && !program) outcome.oneByOne.push(row);
    else if (!program) {
      const fields = checkedRow(row, outcome, () =>
        newProgram(orgId, programInput(rowOf(row), aircraftId), now),
      );
      if (fields) creates.push({ row, key, fields });
    } else if (Object.keys(programPatch(rowOf(row), program)).length === 0) {
      outcome.applied.push({ row, outcome: 'unchanged' });
    } else changes.push({ row, id: program.id });
  }
  const live = new Set(
    await repos.programs.lockLiveAircraftMany(orgId, [
      ...new Set(creates.flatMap(({ fields }) => (fields.aircraftId === null ? [] : [fields.aircraftId]))),
    ]),
  );
  const locked = new Map(
    (await repos.programs.findMany(orgId, [...new Set(changes.map(({ id }) => id))], { lock: true })).map(
      (program) => [program.id, program],
    ),
  );
  const inserts = creates.filter(({ row, fields }) => {
    const isLive = fields.aircraftId === null || live.has(fields.aircraftId);
    if (!isLive) outcome.oneByOne.push(row);
    return isLive;
  });
  const updates: { row: CheckedRow; before: MaintenanceProgram; fields: ProgramPatch }[] = [];
  for (const { row, id } of changes) {
    const before = locked.get(id);
    const patch = before && programPatch(rowOf(row), before);
    if (!before || !patch) outcome.oneByOne.push(row);
    else if (Object.keys(patch).length === 0) outcome.applied.push({ row, outcome: 'unchanged' });
    else {
      const fields = checkedRow(row, outcome, () => checkedPatch(patch, now));
      if (fields) updates.push({ row, before, fields });
    }
  }
  const inserted = new Map(
    (await repos.programs.insertMany(inserts.map(({ fields }) => fields))).map((program) => [
      programKey(program.name, program.aircraftId),
      program,
    ]),
  );
  const updated = new Map(
    (
      await repos.programs.updateMany(
        orgId,
        updates.map(({ before, fields }) => ({
          id: before.id,
          intervalType: fields.intervalType ?? before.intervalType,
          intervalValue: fields.intervalValue ?? before.intervalValue,
          lastPerformed: fields.lastPerformed === undefined ? before.lastPerformed : fields.lastPerformed,
          leadValue: fields.leadValue === undefined ? before.leadValue : fields.leadValue,
          taskType: fields.taskType ?? before.taskType,
          taskDurationMinutes: fields.taskDurationMinutes ?? before.taskDurationMinutes,
          taskPriority: fields.taskPriority ?? before.taskPriority ?? 'routine',
        })),
        new Date(),
      )
    ).map((program) => [program.id, program]),
  );
  await recordChanges(
    repos,
    [
      ...inserts.map(({ row, key }) => ({ row, effects: programCreateEffects(inserted.get(key)!) })),
      ...updates.map(({ row, before }) => ({
        row,
        effects: programUpdateEffects({ before, after: updated.get(before.id)!, changeId: randomUUID() }),
      })),
    ],
    context,
  );
  outcome.applied.push(
    ...inserts.map(({ row }) => ({ row, outcome: 'created' as const })),
    ...updates.map(({ row }) => ({ row, outcome: 'updated' as const })),
  );
  return outcome;
}

/** What `check` answers for `row`, or undefined when it refuses the row (recorded in `outcome`). */
function checkedRow<T>(row: CheckedRow, outcome: BulkOutcome, check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    outcome.refused.push({ row, error });
    return undefined;
  }
}

/** What a batch applied together did: each row's outcome, the rows refused, the rows left to go one by one. */
export interface BulkOutcome {
  applied: { row: CheckedRow; outcome: RowOutcome }[];
  refused: { row: CheckedRow; error: AppError }[];
  oneByOne: CheckedRow[];
}

/** Writes the audit rows (each as its row's context says) and the events of a batch's changes in one statement. */
export async function recordChanges(
  repos: Repositories,
  changes: { row: CheckedRow; effects: { audit: AuditEntry; events: DomainEvent[] } }[],
  context: (row: CheckedRow) => MutationContext,
): Promise<void> {
  const records = changes.map(({ row, effects }) => {
    const ctx = context(row);
    return auditRecord(effects.audit, ctx.actor, ctx.request);
  });
  await repos.changeLog.record(
    records,
    changes.flatMap(({ effects }) => effects.events),
  );
}

/** The natural key of a program named `name` (normalized) on `aircraftId` (null: a template). */
const programKey = (name: string, aircraftId: string | null): string => `${aircraftId ?? ''}/${name}`;

/** The keys that occur more than once. */
export function repeatedKeys<K>(keys: K[]): Set<K> {
  const seen = new Set<K>();
  const repeated = new Set<K>();
  for (const key of keys) (seen.has(key) ? repeated : seen).add(key);
  return repeated;
}

/** The tail number a program row names (normalized), if any. */
const tailsOf = (row: ProgramRow): string[] =>
  row.tail_number === undefined ? [] : [normalizeTailNumber(row.tail_number)];

/** A cell the row sets (not left empty) to something other than the stored value. */
const differs = <T>(cell: T | undefined, stored: T | null): boolean => cell !== undefined && cell !== stored;

const differsInTime = (cell: string | undefined, stored: Date | null): boolean =>
  cell !== undefined && new Date(cell).getTime() !== stored?.getTime();

export const toDate = (cell: string | undefined): Date | undefined =>
  cell === undefined ? undefined : new Date(cell);
