import { sql, type Selectable } from 'kysely';
import type {
  ComplianceFilter,
  ComplianceRepository,
  ComplianceSortField,
  UpdateComplianceItemInput,
} from '../../app/compliance.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  ComplianceInspection,
  ComplianceItem,
  ComplianceResult,
  ComplianceSignOff,
  ComplianceTask,
} from '../../domain/compliance.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { ComplianceItemsTable } from './schema.js';

registerConstraints({
  compliance_items_task_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'the task does not exist in this organization',
    field: 'body.task_id',
  },
  compliance_items_signed_off_not_pending: {
    kind: 'conflict',
    reason: 'RESULT_PENDING',
    message: 'a compliance item cannot be signed off with a pending result',
  },
  compliance_items_inspector_not_performer: {
    kind: 'conflict',
    reason: 'INSPECTOR_IS_PERFORMER',
    message:
      'the independent inspection must be made by someone other than the person who signed the work off',
  },
  compliance_items_inspection_after_sign_off: {
    kind: 'conflict',
    reason: 'NOT_SIGNED_OFF',
    message: 'a compliance item is inspected only after it is signed off',
  },
  compliance_items_inspection_required: {
    kind: 'conflict',
    reason: 'INSPECTION_NOT_REQUIRED',
    message: 'the compliance item does not require an independent inspection',
  },
  // A row is created unsigned and signed afterwards (00020); the API never inserts a signed one.
  compliance_items_created_unsigned: {
    kind: 'validation',
    reason: 'SIGNED_ON_CREATE',
    message: 'a compliance item is created unsigned; it is signed off, and inspected, afterwards',
  },
  compliance_items_immutable_after_inspection: {
    kind: 'conflict',
    reason: 'ALREADY_INSPECTED',
    message: 'the compliance item is signed off and inspected and can no longer change',
  },
  compliance_items_description_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the description must not be blank',
    field: 'body.description',
  },
});

/** The columns of a compliance item (`c`), as `toComplianceItem` reads them. */
export const COMPLIANCE_ITEM_COLUMNS = [
  'c.id',
  'c.org_id',
  'c.task_id',
  'c.description',
  'c.result',
  'c.sign_off_user_id',
  'c.sign_off_time',
  'c.requires_inspection',
  'c.sign_off_meaning',
  'c.inspected_by',
  'c.inspected_at',
  'c.inspection_meaning',
  'c.created_at',
  'c.updated_at',
] as const;

type Row = Pick<
  Selectable<ComplianceItemsTable>,
  | 'id'
  | 'org_id'
  | 'task_id'
  | 'description'
  | 'result'
  | 'sign_off_user_id'
  | 'sign_off_time'
  | 'requires_inspection'
  | 'sign_off_meaning'
  | 'inspected_by'
  | 'inspected_at'
  | 'inspection_meaning'
  | 'created_at'
  | 'updated_at'
>;

/** A compliance item row as the domain sees it (also used by the task detail). */
export const toComplianceItem = (row: Row): ComplianceItem => ({
  id: row.id,
  orgId: row.org_id,
  taskId: row.task_id,
  description: row.description,
  result: row.result,
  signOffUserId: row.sign_off_user_id,
  signOffTime: row.sign_off_time,
  requiresInspection: row.requires_inspection,
  signOffMeaning: row.sign_off_meaning,
  inspectedBy: row.inspected_by,
  inspectedAt: row.inspected_at,
  inspectionMeaning: row.inspection_meaning,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SORT_COLUMNS: Record<ComplianceSortField, string> = {
  created_at: 'c.created_at',
  sign_off_time: 'c.sign_off_time',
};

export class PgComplianceRepository implements ComplianceRepository {
  constructor(private readonly db: Executor) {}

  async findTaskForNewItem(orgId: string, taskId: string): Promise<ComplianceTask | undefined> {
    const row = await this.db
      .selectFrom('maintenance_tasks')
      .select(['id', 'state', 'assigned_mechanic_id'])
      .where('org_id', '=', orgId)
      .where('id', '=', taskId)
      .where('deleted_at', 'is', null)
      .forShare()
      .executeTakeFirst();
    return (
      row && { id: row.id, state: row.state, deleted: false, assignedMechanicId: row.assigned_mechanic_id }
    );
  }

  async insertMany(
    orgId: string,
    taskId: string,
    items: {
      description: string;
      result?: ComplianceResult | undefined;
      requiresInspection?: boolean | undefined;
    }[],
  ): Promise<ComplianceItem[]> {
    // One statement; each item's created_at is the transaction's time plus its place in the list
    // (in microseconds), so lists ordered by created_at keep the order the items were given in.
    const { rows } = await sql<Row>`
      WITH inserted AS (
      INSERT INTO compliance_items (org_id, task_id, description, result, requires_inspection, created_at, updated_at)
      SELECT ${orgId}::uuid, ${taskId}::uuid, i.description,
             coalesce(i.result, 'pending'::compliance_result), coalesce(i.requires_inspection, false),
             now() + (i.ord - 1) * interval '1 microsecond', now() + (i.ord - 1) * interval '1 microsecond'
        FROM unnest(${items.map((item) => item.description)}::text[],
                    ${items.map((item) => item.result ?? null)}::compliance_result[],
                    ${items.map((item) => item.requiresInspection ?? null)}::boolean[])
             WITH ORDINALITY AS i(description, result, requires_inspection, ord)
      RETURNING *)
      SELECT ${sql.join(COMPLIANCE_ITEM_COLUMNS.map((column) => sql.ref(column)))}
        FROM inserted AS c
       ORDER BY c.created_at`.execute(this.db);
    return rows.map(toComplianceItem);
  }

  async findById(orgId: string, id: string): Promise<ComplianceItem | undefined> {
    const row = await this.db
      .selectFrom('compliance_items as c')
      .select(COMPLIANCE_ITEM_COLUMNS)
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', id)
      .where('c.deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  async lockTaskOfItem(orgId: string, itemId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('maintenance_tasks as t')
      .innerJoin('compliance_items as c', (join) =>
        join.onRef('c.org_id', '=', 't.org_id').onRef('c.task_id', '=', 't.id'),
      )
      .select('t.id')
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', itemId)
      .forShare('t')
      .executeTakeFirst();
    return row !== undefined;
  }

  async findInspectedBy(orgId: string, taskId: string, userId: string): Promise<ComplianceItem | undefined> {
    const row = await this.db
      .selectFrom('compliance_items as c')
      .select(COMPLIANCE_ITEM_COLUMNS)
      .where('c.org_id', '=', orgId)
      .where('c.task_id', '=', taskId)
      .where('c.inspected_by', '=', userId)
      .where('c.deleted_at', 'is', null)
      .orderBy('c.inspected_at')
      .limit(1)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  async findForChange(
    orgId: string,
    id: string,
  ): Promise<{ item: ComplianceItem; task: ComplianceTask } | undefined> {
    const row = await this.db
      .selectFrom('compliance_items as c')
      .innerJoin('maintenance_tasks as t', (join) =>
        join.onRef('t.org_id', '=', 'c.org_id').onRef('t.id', '=', 'c.task_id'),
      )
      .select([
        ...COMPLIANCE_ITEM_COLUMNS,
        't.state as task_state',
        't.deleted_at as task_deleted_at',
        't.assigned_mechanic_id as task_assigned_mechanic_id',
      ])
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', id)
      .where('c.deleted_at', 'is', null)
      .forNoKeyUpdate('c')
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      item: toComplianceItem(row),
      task: {
        id: row.task_id,
        state: row.task_state,
        deleted: row.task_deleted_at !== null,
        assignedMechanicId: row.task_assigned_mechanic_id,
      },
    };
  }

  async list(
    orgId: string,
    filter: ComplianceFilter,
    sort: SortKey<ComplianceSortField>[],
    page: Page,
  ): Promise<ComplianceItem[]> {
    let query = this.db
      .selectFrom('compliance_items as c')
      .select(COMPLIANCE_ITEM_COLUMNS)
      .where('c.org_id', '=', orgId)
      .where('c.deleted_at', 'is', null);
    if (filter.taskId !== undefined) query = query.where('c.task_id', '=', filter.taskId);
    if (filter.result !== undefined) query = query.where('c.result', '=', filter.result);
    if (filter.signed !== undefined) {
      query = query.where('c.sign_off_time', filter.signed ? 'is not' : 'is', null);
    }
    if (filter.signedBy !== undefined) query = query.where('c.sign_off_user_id', '=', filter.signedBy);
    if (filter.inspectionPending !== undefined) {
      query = filter.inspectionPending
        ? query.where('c.requires_inspection', '=', true).where('c.inspected_at', 'is', null)
        : query.where((eb) =>
            eb.or([eb('c.requires_inspection', '=', false), eb('c.inspected_at', 'is not', null)]),
          );
    }
    if (filter.from !== undefined) query = query.where('c.sign_off_time', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('c.sign_off_time', '<', filter.to);
    const rows = await orderBySortKeys(query, sort, SORT_COLUMNS, 'c.id', {
      table: 'compliance_items',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toComplianceItem);
  }

  async update(
    orgId: string,
    id: string,
    patch: UpdateComplianceItemInput,
  ): Promise<ComplianceItem | undefined> {
    const row = await this.unsigned(orgId, id)
      .set({
        description: patch.description,
        result: patch.result,
        requires_inspection: patch.requiresInspection,
        updated_at: new Date(),
      })
      .returning(COMPLIANCE_ITEM_COLUMNS)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  async signOff(orgId: string, id: string, signOff: ComplianceSignOff): Promise<ComplianceItem | undefined> {
    const row = await this.unsigned(orgId, id)
      .set({
        result: signOff.result,
        sign_off_user_id: signOff.signOffUserId,
        sign_off_time: signOff.signOffTime,
        sign_off_meaning: signOff.signOffMeaning,
        updated_at: signOff.signOffTime,
      })
      .returning(COMPLIANCE_ITEM_COLUMNS)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  async inspect(
    orgId: string,
    id: string,
    inspection: ComplianceInspection,
  ): Promise<ComplianceItem | undefined> {
    // Only the inspection columns change: the database lets nothing else on a signed row move.
    const row = await this.db
      .updateTable('compliance_items as c')
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', id)
      .where('c.deleted_at', 'is', null)
      .where('c.sign_off_time', 'is not', null)
      .where('c.requires_inspection', '=', true)
      .where('c.inspected_at', 'is', null)
      .set({
        inspected_by: inspection.inspectedBy,
        inspected_at: inspection.inspectedAt,
        inspection_meaning: inspection.inspectionMeaning,
        updated_at: inspection.inspectedAt,
      })
      .returning(COMPLIANCE_ITEM_COLUMNS)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  async softDelete(orgId: string, id: string): Promise<ComplianceItem | undefined> {
    const now = new Date();
    const row = await this.unsigned(orgId, id)
      .set({ deleted_at: now, updated_at: now })
      .returning(COMPLIANCE_ITEM_COLUMNS)
      .executeTakeFirst();
    return row && toComplianceItem(row);
  }

  /**
   * An update of one live item that is not signed off: the condition makes a sign-off happen
   * exactly once even when two race (the loser matches no row), and keeps every later write off
   * a signed-off row, which the database trigger would refuse anyway.
   */
  private unsigned(orgId: string, id: string) {
    return this.db
      .updateTable('compliance_items as c')
      .where('c.org_id', '=', orgId)
      .where('c.id', '=', id)
      .where('c.deleted_at', 'is', null)
      .where('c.sign_off_time', 'is', null);
  }
}
