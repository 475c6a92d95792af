import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../domain/events.js';
import { combinedOutcome, type RowOutcome } from '../domain/import.js';
import { countsInStock, type PartDefinition, type PartItem } from '../domain/part.js';
import type { AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import {
  definitionPatch,
  itemPatch,
  recordChanges,
  repeatedKeys,
  serialOfAnotherDefinition,
  toDate,
  type BulkOutcome,
  type CheckedRow,
  type PartsRow,
} from './import-rows.js';
import type { MutationContext } from './mutation.js';
import {
  definitionCreatedEffects,
  definitionUpdatedEffects,
  itemCreatedEffects,
  refuseExpiryInPast,
} from './parts.js';
import type { Repositories } from './ports.js';
import { stockEvents, type StockCause } from './stock.js';

/**
 * The bulk path of parts imports: a batch's rows applied as `applyParts` applies each one through
 * `PartService` (the same checks, rows, audit rows, events and stock events, in the same order),
 * with a handful of statements per batch instead of ten round trips per row.
 *
 * A definition's stock events name the row whose change crossed a threshold and carry the counts
 * of that moment, so the rows of one definition are replayed in file order against its counts,
 * read under the lock every stock change takes: each new item adds to them as PostgreSQL counts
 * it (`countsInStock`; an expiry its clock sees passed is refused by the database, which spoils
 * the batch's statement, and the rows go row by row), each new reorder point moves the threshold. The rows of a definition go row by row
 * instead when one of them changes an existing item (a status or expiry change has rules of its
 * own: reservations, final states), names a serial number another row of the batch names too,
 * or its definition went away since it was looked up.
 */
export async function applyPartsBatch(
  repos: Repositories,
  orgId: string,
  checked: CheckedRow[],
  context: (row: CheckedRow) => MutationContext,
  now: Date,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { applied: [], refused: [], oneByOne: [] };
  const rowOf = (row: CheckedRow) => row.value as unknown as PartsRow;
  const nameOf = (row: CheckedRow) => rowOf(row).name.trim();
  const serialOf = (row: CheckedRow) => rowOf(row).serial_number?.trim();

  const ids = new Map(
    (await repos.imports.findDefinitionIdsByNames(orgId, [...new Set(checked.map(nameOf))])).map(
      ({ name, id }) => [name, id],
    ),
  );
  // Locked as every stock change locks them, then counted: nothing moves their stock until we commit.
  const locked = await repos.stock.lockDefinitions(orgId, [...new Set(ids.values())]);
  const stored = new Map((await repos.parts.findDefinitions(orgId, locked)).map((d) => [d.id, d]));
  const serials = checked.map(serialOf).filter((serial) => serial !== undefined);
  const items = new Map(
    (await repos.imports.findItemsBySerials(orgId, [...new Set(serials)])).map((item) => [
      item.serialNumber,
      item,
    ]),
  );
  const repeatedSerials = repeatedKeys(serials);

  const groups = new Map<string, CheckedRow[]>();
  for (const row of checked) {
    const group = groups.get(nameOf(row));
    if (group) group.push(row);
    else groups.set(nameOf(row), [row]);
  }
  const replays: DefinitionReplay[] = [];
  for (const [name, rows] of groups) {
    const id = ids.get(name);
    const definition = id === undefined ? undefined : stored.get(id);
    const rowByRow =
      (id !== undefined && !definition) ||
      rows.some((row) => {
        const serial = serialOf(row);
        if (serial === undefined) return false;
        const item = items.get(serial);
        const changesItem =
          item !== undefined &&
          item.partDefinitionId === id &&
          Object.keys(itemPatch(rowOf(row), item)).length > 0;
        return repeatedSerials.has(serial) || changesItem;
      });
    if (rowByRow) outcome.oneByOne.push(...rows);
    else replays.push(replayDefinition(orgId, name, definition, rows, items, now, outcome));
  }

  const written = await writeReplays(repos, orgId, replays, now);
  const changes: { row: CheckedRow; effects: { audit: AuditEntry; events: DomainEvent[] } }[] = [];
  for (const replay of replays) {
    const { id, createdAt } = written.definitions.get(replay) ?? { id: '', createdAt: now };
    const definitionOf = (state: DefinitionState): PartDefinition => ({
      ...state,
      id,
      createdAt,
      updatedAt: state.updatedAt ?? createdAt,
    });
    for (const step of replay.steps) {
      const { definition, item } = step;
      if (definition.change === 'created') {
        changes.push({ row: step.row, effects: definitionCreatedEffects(definitionOf(definition.after)) });
      } else if (definition.change === 'updated') {
        const [before, after] = [definitionOf(definition.before), definitionOf(definition.after)];
        const changeId = randomUUID();
        const effects = definitionUpdatedEffects(before, after, changeId);
        const cause: StockCause = { event: 'part_definition_updated', entityId: after.id, changeId };
        effects.events.push(...stockEvents(before, after, cause, after.updatedAt));
        changes.push({ row: step.row, effects });
      }
      if (item?.change === 'created') {
        const created = written.items.get(item.serialNumber)!;
        const effects = itemCreatedEffects(created);
        const cause: StockCause = { event: 'part_item_created', entityId: created.id };
        const [before, after] = [definitionOf(item.before), definitionOf(item.after)];
        effects.events.push(...stockEvents(before, after, cause, created.createdAt));
        changes.push({ row: step.row, effects });
      }
      outcome.applied.push({ row: step.row, outcome: step.outcome });
    }
  }
  await recordChanges(repos, changes, context);
  return outcome;
}

/** A definition's fields and counts at one point of its replay (its timestamps are known once written). */
type DefinitionState = Omit<PartDefinition, 'id' | 'createdAt' | 'updatedAt'> & { updatedAt?: Date };

/** What one row did, as the replay worked it out. */
interface ReplayStep {
  row: CheckedRow;
  outcome: RowOutcome;
  definition:
    | { change: 'created'; after: DefinitionState }
    | { change: 'updated'; before: DefinitionState; after: DefinitionState }
    | { change: 'unchanged' };
  /** The row's new item and the definition around its insertion; unset when the row adds none. */
  item?: { change: 'created'; serialNumber: string; before: DefinitionState; after: DefinitionState };
}

/** The replay of one definition's rows: its steps, what to write, and the counts it ends with. */
interface DefinitionReplay {
  /** The stored definition, or undefined when the first row creates it. */
  stored: PartDefinition | undefined;
  /** Its fields as the first row creates it. */
  created: DefinitionState | undefined;
  /** Its fields and counts after its last row; undefined when every row of a new one was refused. */
  final: DefinitionState | undefined;
  /** True when a row changed its fields. */
  changed: boolean;
  steps: ReplayStep[];
  newItems: { serialNumber: string; row: PartsRow }[];
}

/**
 * Replays the rows of one definition (by `name`) in file order, from its stored state (undefined:
 * the first row creates it), as `applyParts` would apply them one after another. Refused rows are
 * recorded in `outcome` and change nothing, as their savepoint would have been rolled back.
 */
function replayDefinition(
  orgId: string,
  name: string,
  stored: PartDefinition | undefined,
  rows: CheckedRow[],
  items: ReadonlyMap<string, PartItem>,
  now: Date,
  outcome: BulkOutcome,
): DefinitionReplay {
  const replay: DefinitionReplay = {
    stored,
    created: undefined,
    final: undefined,
    changed: false,
    steps: [],
    newItems: [],
  };
  let current: DefinitionState | undefined = stored && stateOf(stored);
  for (const row of rows) {
    const cells = row.value as unknown as PartsRow;
    const serialNumber = cells.serial_number?.trim();
    const existing = serialNumber === undefined ? undefined : items.get(serialNumber);
    try {
      // An item of another definition (every existing item, for a definition still to be created).
      if (existing && (!stored || existing.partDefinitionId !== stored.id)) {
        throw serialOfAnotherDefinition(existing.serialNumber);
      }
      const expiryDate = toDate(cells.expiry_date) ?? null;
      if (serialNumber !== undefined && !existing) refuseExpiryInPast(expiryDate, now);
      let definition: ReplayStep['definition'];
      if (!current) {
        current = {
          orgId,
          name,
          category: cells.category.trim(),
          minStockLevel: cells.min_stock_level ?? null,
          reorderPoint: cells.reorder_point ?? null,
          leadTimeDays: cells.lead_time_days ?? null,
          stock: { inStock: 0, reserved: 0 },
        };
        replay.created = current;
        definition = { change: 'created', after: current };
      } else {
        const patch = definitionPatch(cells, current);
        if (Object.keys(patch).length === 0) definition = { change: 'unchanged' };
        else {
          const before = current;
          current = {
            ...current,
            ...patch,
            category: patch.category?.trim() ?? current.category,
            updatedAt: now,
          };
          replay.changed = true;
          definition = { change: 'updated', before, after: current };
        }
      }
      let item: ReplayStep['item'];
      if (serialNumber !== undefined && !existing) {
        const before = current;
        const status = cells.status ?? 'in_stock';
        const added = countsInStock({ status, expiryDate }, now) ? 1 : 0;
        current = { ...current, stock: { ...current.stock, inStock: current.stock.inStock + added } };
        item = { change: 'created', serialNumber, before, after: current };
        replay.newItems.push({ serialNumber, row: cells });
      }
      // A row naming an item it leaves as it is (the only existing item that reaches here) is unchanged in it.
      const itemOutcome: RowOutcome[] = serialNumber === undefined ? [] : [item ? 'created' : 'unchanged'];
      const rowOutcome = combinedOutcome([definition.change, ...itemOutcome]);
      replay.steps.push({ row, outcome: rowOutcome, definition, ...(item && { item }) });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcome.refused.push({ row, error });
    }
  }
  replay.final = current;
  return replay;
}

const stateOf = (definition: PartDefinition): DefinitionState => ({
  orgId: definition.orgId,
  name: definition.name,
  category: definition.category,
  minStockLevel: definition.minStockLevel,
  reorderPoint: definition.reorderPoint,
  leadTimeDays: definition.leadTimeDays,
  stock: definition.stock,
  updatedAt: definition.updatedAt,
});

/**
 * Writes what the replays worked out: the new definitions in one statement, the changed ones in
 * another (as their last row left them, stamped `at`, the time the replay gave their changes), the
 * new items in a third. Answers each replay's definition, and the new items by serial number.
 */
async function writeReplays(
  repos: Repositories,
  orgId: string,
  replays: DefinitionReplay[],
  at: Date,
): Promise<{
  definitions: Map<DefinitionReplay, Pick<PartDefinition, 'id' | 'createdAt'>>;
  items: Map<string, PartItem>;
}> {
  const live = replays.filter((replay) => replay.steps.length > 0);
  const creations = live.filter((replay) => replay.created !== undefined);
  const inserted = new Map(
    (
      await repos.imports.insertPartDefinitions(
        creations.map(({ created }) => ({
          orgId,
          name: created!.name,
          category: created!.category,
          minStockLevel: created!.minStockLevel,
          reorderPoint: created!.reorderPoint,
          leadTimeDays: created!.leadTimeDays,
        })),
      )
    ).map((definition) => [definition.name, definition]),
  );
  const definitions = new Map(
    live.map((replay) => [replay, replay.stored ?? inserted.get(replay.created!.name)!] as const),
  );
  const updates = live
    .filter((replay) => replay.changed)
    .map((replay) => ({
      id: definitions.get(replay)!.id,
      category: replay.final!.category,
      minStockLevel: replay.final!.minStockLevel,
      reorderPoint: replay.final!.reorderPoint,
      leadTimeDays: replay.final!.leadTimeDays,
    }));
  if ((await repos.imports.updatePartDefinitions(orgId, updates, at)) !== updates.length) {
    throw definitionsMoved();
  }
  const items = await repos.imports.insertPartItems(
    live.flatMap((replay) =>
      replay.newItems.map(({ serialNumber, row }) => ({
        orgId,
        partDefinitionId: definitions.get(replay)!.id,
        serialNumber,
        status: row.status ?? 'in_stock',
        expiryDate: toDate(row.expiry_date) ?? null,
      })),
    ),
  );
  return { definitions, items: new Map(items.map((item) => [item.serialNumber, item])) };
}

/** Spoils the bulk path, so the batch's rows go row by row, each with its own outcome. */
const definitionsMoved = (): AppError =>
  AppError.conflict(
    'PART_DEFINITION_GONE',
    'a part definition of the batch was deleted while it was applied',
  );
