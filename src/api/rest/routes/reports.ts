import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { OrgScope } from '../../../app/access.js';
import {
  BELOW_MIN_STOCK_LIST_LIMIT,
  COMPLIANCE_REPORT_SORT_FIELDS,
  complianceReportRowView,
  directiveComplianceHeaderView,
  directiveReportAircraft,
  type DirectiveComplianceReport,
  type DirectiveReportEntryView,
  mechanicWorkloadView,
  summaryReportView,
  WORKLOAD_SORT_FIELDS,
  type ComplianceReportFilter,
  type ComplianceReportRow,
  type ComplianceReportRowView,
} from '../../../app/reports.js';
import type { Services } from '../../../app/services.js';
import { AIRCRAFT_STATUSES } from '../../../domain/aircraft.js';
import { COMPLIANCE_RESULTS } from '../../../domain/compliance.js';
import {
  DIRECTIVE_APPLICABILITIES,
  DIRECTIVE_STATUSES,
  DIRECTIVE_TYPES,
  TRACKING_STATUSES,
} from '../../../domain/directive.js';
import { TASK_STATES, TASK_TYPES } from '../../../domain/task.js';
import { exportDate, sendCsv, type CsvCell } from '../csv.js';
import { pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { complianceSignatureFields } from '../schemas/compliance.js';
import {
  errorResponses,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  toDate,
  uuidField,
} from '../schemas/common.js';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** An object with one count per value of an enum, every value present (zeros included). */
const countsOf = (values: readonly string[], what: string, description: string) =>
  Type.Object(Object.fromEntries(values.map((value) => [value, count(`${what} ${value}.`)])), {
    additionalProperties: false,
    description,
  });

const DefinitionBelowMinStock = Type.Object(
  {
    id: uuidField('Part definition id.'),
    name: Type.String({ description: 'The definition’s name.' }),
    category: Type.String({ description: 'The definition’s category.' }),
    min_stock_level: Type.Integer({ description: 'The minimum number of available items wanted.' }),
    in_stock: count('Items on the shelf: live, in stock and unexpired.'),
    reserved: count('Of those, items held by an active reservation.'),
    available: Type.Integer({ description: 'in_stock − reserved; below min_stock_level here.' }),
  },
  {
    additionalProperties: false,
    description: 'A part definition with fewer available items than its minimum.',
  },
);

/** The summary report. */
const SummaryReport = Type.Object(
  {
    org_id: uuidField('The organization the figures are about.'),
    generated_at: timestampField('The instant every figure was compared with ("now").'),
    fleet: Type.Object(
      {
        total: count('Live aircraft.'),
        by_status: countsOf(AIRCRAFT_STATUSES, 'Live aircraft with status', 'Live aircraft per status.'),
      },
      { additionalProperties: false, description: 'The fleet.' },
    ),
    tasks: Type.Object(
      {
        total: count('Live maintenance tasks.'),
        by_state: countsOf(TASK_STATES, 'Live tasks in state', 'Live tasks per state.'),
        overdue: count('Scheduled or in-progress tasks whose end_time is at or before generated_at.'),
        upcoming_7_days: count(
          'Scheduled tasks starting within 7 days: generated_at ≤ start_time < +7 days.',
        ),
        upcoming_30_days: count(
          'Scheduled tasks starting within 30 days: generated_at ≤ start_time < +30 days (includes the 7-day ones).',
        ),
      },
      { additionalProperties: false, description: 'Maintenance tasks.' },
    ),
    parts: Type.Object(
      {
        items_in_stock: count('Live part items in stock whose expiry (if any) is after generated_at.'),
        items_expiring_30_days: count(
          'Of the items in stock, those expiring within 30 days: generated_at < expiry_date ≤ +30 days.',
        ),
        definitions_below_min_stock: Type.Object(
          {
            count: count('Live definitions whose available items are fewer than their min_stock_level.'),
            definitions: Type.Array(DefinitionBelowMinStock, {
              description: `Those definitions, largest shortfall first, at most ${BELOW_MIN_STOCK_LIST_LIMIT}.`,
            }),
          },
          {
            additionalProperties: false,
            description:
              'Definitions below their minimum stock, counted as the part definitions API counts `below_min_stock`.',
          },
        ),
      },
      { additionalProperties: false, description: 'Parts inventory.' },
    ),
    compliance: Type.Object(
      {
        total: count('Live compliance items.'),
        by_result: countsOf(
          COMPLIANCE_RESULTS,
          'Live items with result',
          'Live compliance items per result.',
        ),
        signed_off: count('Items a mechanic signed off.'),
        awaiting_sign_off: count('Items not signed off whose task is live and scheduled or in progress.'),
        unsigned_on_closed_tasks: count(
          'Items not signed off whose task was cancelled, completed or deleted; they can no longer be signed. signed_off + awaiting_sign_off + unsigned_on_closed_tasks = total.',
        ),
      },
      { additionalProperties: false, description: 'Compliance items.' },
    ),
  },
  { additionalProperties: false, description: 'Operational figures of one organization at generated_at.' },
);

/** One row of the compliance report. */
const ComplianceReportRowSchema = Type.Object(
  {
    id: uuidField('Compliance item id.'),
    org_id: uuidField('The organization the item belongs to.'),
    task_id: uuidField('The maintenance task the item belongs to.'),
    description: Type.String({ description: 'What is checked.' }),
    result: Type.Enum(COMPLIANCE_RESULTS, { description: 'pass, fail or pending.' }),
    signed_off: Type.Boolean({ description: 'Whether a mechanic signed the item off.' }),
    sign_off_user_id: Type.Union([uuidField('The mechanic who signed off.'), Type.Null()], {
      description: 'The mechanic who signed the item off, or null before sign-off.',
    }),
    sign_off_user_email: Type.Union([Type.String(), Type.Null()], {
      description: 'That mechanic’s email, or null before sign-off.',
    }),
    sign_off_time: Type.Union([timestampField('When the item was signed off.'), Type.Null()], {
      description: 'When the item was signed off (RFC 3339, UTC), or null before sign-off.',
    }),
    ...complianceSignatureFields,
    inspected_by_email: Type.Union([Type.String(), Type.Null()], {
      description: 'The independent inspector’s email, or null until inspected.',
    }),
    created_at: timestampField('When the item was created.'),
    updated_at: timestampField('When the item last changed.'),
    task_type: Type.Enum(TASK_TYPES, { description: 'The task’s type.' }),
    task_state: Type.Enum(TASK_STATES, { description: 'The task’s state now.' }),
    task_start_time: timestampField('The task’s planned start.'),
    task_end_time: timestampField('The task’s planned end.'),
    aircraft_id: uuidField('The aircraft the task is for.'),
    tail_number: Type.String({ description: 'That aircraft’s tail number.' }),
    program_id: Type.Union([uuidField('The maintenance program that generated the task.'), Type.Null()], {
      description: 'The maintenance program that generated the task, or null for a one-off task.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'A compliance item with its task and aircraft: who signed it off and what that signature means, and its independent inspection when it requires one.',
    examples: [
      {
        id: '6f1c2b9e-4d0a-4c8e-9a57-3b2f1e0d9c84',
        org_id: '0b6f3c1e-2a4d-4e8f-9b1a-5c7d9e0f1a2b',
        task_id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
        description: 'Duplicate inspection of elevator control rigging',
        result: 'pass',
        signed_off: true,
        sign_off_user_id: '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b',
        sign_off_user_email: 'mechanic@demo.local',
        sign_off_time: '2030-03-01T10:15:00.000Z',
        sign_off_meaning: 'performed',
        requires_inspection: true,
        inspection_pending: false,
        inspected_by: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
        inspected_by_email: 'inspector@demo.local',
        inspected_at: '2030-03-01T10:40:00.000Z',
        inspection_meaning: 'inspected',
        created_at: '2030-03-01T08:00:00.000Z',
        updated_at: '2030-03-01T10:40:00.000Z',
        task_type: 'inspection',
        task_state: 'completed',
        task_start_time: '2030-03-01T08:00:00.000Z',
        task_end_time: '2030-03-01T12:00:00.000Z',
        aircraft_id: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
        tail_number: 'N320AM',
        program_id: null,
      },
    ],
  },
);

const MechanicWorkload = Type.Object(
  {
    mechanic_id: uuidField('The mechanic (a live user with role mechanic).'),
    email: Type.String({ description: 'The mechanic’s email.' }),
    open_tasks: count(
      'Live tasks assigned to the mechanic that are scheduled or in progress (in the window).',
    ),
    scheduled_tasks: count('Of those, the scheduled ones.'),
    in_progress_tasks: count('Of those, the ones in progress.'),
    planned_hours: Type.Number({
      minimum: 0,
      description:
        'The summed planned duration (end_time − start_time) of the open tasks, in hours, rounded to 0.01.',
    }),
    next_start: Type.Union([timestampField('The next start.'), Type.Null()], {
      description:
        'The earliest start_time at or after now among the mechanic’s scheduled tasks (in the window), or null.',
    }),
  },
  { additionalProperties: false, description: 'The open work assigned to one mechanic.' },
);

const COMPLIANCE_TIME_NOTE =
  'The time range applies to each item’s compliance time: its sign_off_time when signed off, its created_at while unsigned.';

/** The filters the compliance report and its export share. */
const complianceFilterFields = {
  ...OrgScopeQuery,
  from: Type.Optional(
    timestampField(`Only items whose compliance time is at or after this instant. ${COMPLIANCE_TIME_NOTE}`),
  ),
  to: Type.Optional(
    timestampField('Only items whose compliance time is before this instant; must be after `from`.'),
  ),
  aircraft_id: Type.Optional(
    uuidField('Only items of tasks for this aircraft (an id outside your organization matches nothing).'),
  ),
  program_id: Type.Optional(uuidField('Only items of tasks generated by this maintenance program.')),
  result: Type.Optional(Type.Enum(COMPLIANCE_RESULTS, { description: 'Only items with this result.' })),
  signed_off_by: Type.Optional(uuidField('Only items signed off by this user.')),
  signed: Type.Optional(
    Type.Boolean({ description: 'true: only signed-off items; false: only items not signed off yet.' }),
  ),
};

const ComplianceQuery = Type.Object(
  { ...PageQuery, ...complianceFilterFields, sort: sortQuery(COMPLIANCE_REPORT_SORT_FIELDS) },
  { additionalProperties: false },
);
const ComplianceExportQuery = Type.Object(complianceFilterFields, { additionalProperties: false });

const WorkloadQuery = Type.Object(
  {
    ...PageQuery,
    ...OrgScopeQuery,
    from: Type.Optional(timestampField('Only count tasks starting at or after this instant.')),
    to: Type.Optional(timestampField('Only count tasks starting before this instant; must be after `from`.')),
    sort: sortQuery(WORKLOAD_SORT_FIELDS),
  },
  { additionalProperties: false },
);

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

/** The CSV columns of the compliance export, in order: the fields of a report row. */
const CSV_COLUMNS = [
  'id',
  'org_id',
  'task_id',
  'description',
  'result',
  'signed_off',
  'sign_off_user_id',
  'sign_off_user_email',
  'sign_off_time',
  'created_at',
  'updated_at',
  'task_type',
  'task_state',
  'task_start_time',
  'task_end_time',
  'aircraft_id',
  'tail_number',
  'program_id',
  // Added with electronic signatures: after the original columns, so readers by position keep working.
  'sign_off_meaning',
  'requires_inspection',
  'inspection_pending',
  'inspected_by',
  'inspected_by_email',
  'inspected_at',
  'inspection_meaning',
] as const satisfies readonly (keyof ComplianceReportRowView)[];

const tags = ['reports'];

const complianceFilterOf = (
  query: Static<typeof ComplianceExportQuery>,
): ComplianceReportFilter & OrgScope => ({
  orgId: query.org_id,
  from: toDate(query.from),
  to: toDate(query.to),
  aircraftId: query.aircraft_id,
  programId: query.program_id,
  result: query.result,
  signedOffBy: query.signed_off_by,
  signed: query.signed,
});

/** The CSV record of one report row. */
async function* csvRecords(rows: AsyncIterable<ComplianceReportRow>): AsyncGenerator<CsvCell[]> {
  for await (const row of rows) {
    const view = complianceReportRowView(row);
    yield CSV_COLUMNS.map((column) => view[column]);
  }
}

/** A calendar day field ('YYYY-MM-DD'). */
const dayField = (description: string) =>
  Type.String({ format: 'date', description, examples: ['2030-03-31'] });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const DueSchema = (what: string) =>
  Type.Object(
    {
      date: nullable(dayField('The day.'), `The day ${what}, or null when no date limits it.`),
      flight_hours: nullable(
        Type.Number({ description: 'Flight hours.' }),
        `The aircraft's flight hours ${what}, or null when hours do not limit it.`,
      ),
      cycles: nullable(
        Type.Integer({ description: 'Cycles.' }),
        `The aircraft's cycles ${what}, or null when cycles do not limit it.`,
      ),
    },
    { additionalProperties: false, description: `Whichever comes first; all null: nothing is due.` },
  );

const DirectiveReportEntrySchema = Type.Object(
  {
    tracking_id: uuidField('The tracking row of the directive on this aircraft.'),
    directive_id: uuidField('The directive.'),
    reference_number: Type.String({ description: 'The authority’s reference number, e.g. 2025-02-51.' }),
    title: Type.String({ description: 'The directive’s title.' }),
    type: Type.Enum(DIRECTIVE_TYPES, { description: 'ad, emergency_ad, sb, alert_sb or eo.' }),
    applicability: Type.Enum(DIRECTIVE_APPLICABILITIES, {
      description: 'mandatory, recommended or optional.',
    }),
    directive_status: Type.Enum(DIRECTIVE_STATUSES, {
      description:
        'The directive’s own status. Superseded and cancelled directives appear only when complied with on this aircraft.',
    }),
    effective_date: dayField('When the directive took effect.'),
    status: Type.Enum(TRACKING_STATUSES, { description: 'The directive’s status on this aircraft.' }),
    status_reason: nullable(Type.String(), 'Why it is not applicable or deferred; null otherwise.'),
    past_limit: Type.Boolean({
      description:
        'Still owed (pending, in progress, deferred or overdue) and past its limit at generated_at on the aircraft’s current counters — its deferral’s limit when deferred — even if the due tracker has not marked it overdue yet.',
    }),
    next_due: DueSchema('it next falls due at'),
    deferred_until: nullable(
      DueSchema('the approved deferral runs to'),
      'The approved new limit when deferred; null otherwise.',
    ),
    last_compliance: nullable(
      Type.Object(
        {
          id: uuidField('The compliance record.'),
          performed_at: timestampField('When the work was done.'),
          method: Type.String({ description: 'How it was complied with.' }),
          flight_hours: Type.Number({ description: 'The aircraft’s flight hours then.' }),
          cycles: Type.Integer({ description: 'The aircraft’s cycles then.' }),
          signed_by: uuidField('The certifying signer.'),
          signer_email: Type.String({ description: 'The signer’s email (users carry no other name).' }),
          task_id: nullable(uuidField('The task.'), 'The task that did the work, or null.'),
        },
        { additionalProperties: false, description: 'The latest act of compliance (by performed_at).' },
      ),
      'The latest act of compliance, or null when never complied with.',
    ),
  },
  { additionalProperties: false, description: 'One directive of the authority tracked on the aircraft.' },
);

const DirectiveComplianceReportSchema = Type.Object(
  {
    org_id: uuidField('The organization.'),
    org_name: Type.String({ description: 'Its name.' }),
    authority: Type.Object(
      {
        id: uuidField('The regulatory authority.'),
        code: Type.String({ description: 'Its short name, e.g. FAA.' }),
        name: Type.String({ description: 'Its full name.' }),
      },
      { additionalProperties: false, description: 'The authority whose directives the report covers.' },
    ),
    registrations: Type.Array(
      Type.Object(
        {
          id: uuidField('The registration.'),
          approval_type: Type.String({ description: 'AOC, Part-145, …' }),
          certificate_number: Type.String({ description: 'The certificate number.' }),
          valid_from: nullable(dayField('From.'), 'Valid from this day, or null.'),
          valid_until: nullable(dayField('Until.'), 'Valid until this day, or null (until revoked).'),
        },
        { additionalProperties: false },
      ),
      {
        description: 'The organization’s live registrations (approvals) with the authority; empty when none.',
      },
    ),
    aircraft_id: nullable(
      uuidField('The aircraft.'),
      'The one aircraft the report covers, or null for the fleet.',
    ),
    generated_at: timestampField('When the report was generated.'),
    aircraft: Type.Array(
      Type.Object(
        {
          aircraft_id: uuidField('The aircraft.'),
          tail_number: Type.String({ description: 'Its tail number.' }),
          aircraft_type: nullable(Type.String(), 'The ICAO designator of its type, or null while unknown.'),
          aircraft_model: Type.String({
            description: 'Manufacturer and model of its type, else its model text.',
          }),
          serial_number: nullable(Type.String(), 'The manufacturer serial number (MSN), or null.'),
          flight_hours_total: Type.Number({ description: 'Its flight hours now.' }),
          cycles_total: Type.Integer({ description: 'Its cycles now.' }),
          directives: Type.Array(DirectiveReportEntrySchema, {
            description: 'Its directives of the authority, by reference number; empty when none is tracked.',
          }),
        },
        { additionalProperties: false },
      ),
      { description: 'Every live aircraft of the organization (or the one asked for), by tail number.' },
    ),
  },
  { additionalProperties: false, description: 'An authority-specific directive compliance report.' },
);

const DirectiveComplianceQuery = Type.Object(
  {
    ...OrgScopeQuery,
    authority_id: uuidField('Required: the regulatory authority whose directives the report covers.'),
    aircraft_id: Type.Optional(
      uuidField(
        'Only this aircraft (a live aircraft of the organization; another organization’s answers 404).',
      ),
    ),
    format: Type.Optional(
      Type.Enum(['json', 'csv', 'pdf'] as const, { description: 'json (the default), csv or pdf.' }),
    ),
  },
  { additionalProperties: false },
);

/** The CSV columns of the directive compliance report: one line per aircraft and directive. */
const DIRECTIVE_CSV_COLUMNS = [
  'tail_number',
  'aircraft_type',
  'serial_number',
  'aircraft_id',
  'reference_number',
  'title',
  'directive_type',
  'applicability',
  'directive_status',
  'effective_date',
  'status',
  'status_reason',
  'past_limit',
  'next_due_date',
  'next_due_flight_hours',
  'next_due_cycles',
  'deferred_until_date',
  'deferred_until_flight_hours',
  'deferred_until_cycles',
  'last_compliance_at',
  'last_compliance_method',
  'last_compliance_flight_hours',
  'last_compliance_cycles',
  'signer_email',
  'signed_by',
  'compliance_task_id',
  'directive_id',
] as const;

/** The CSV lines of the report: one per aircraft and directive, one with empty directive cells for an aircraft without any. */
async function* directiveCsvRecords(report: DirectiveComplianceReport): AsyncGenerator<CsvCell[]> {
  for await (const aircraft of directiveReportAircraft(report.rows, report.header.generatedAt)) {
    const entries: (DirectiveReportEntryView | undefined)[] =
      aircraft.directives.length === 0 ? [undefined] : aircraft.directives;
    for (const entry of entries) {
      const last = entry?.last_compliance;
      const line: Record<(typeof DIRECTIVE_CSV_COLUMNS)[number], CsvCell> = {
        tail_number: aircraft.tail_number,
        aircraft_type: aircraft.aircraft_type,
        serial_number: aircraft.serial_number,
        aircraft_id: aircraft.aircraft_id,
        reference_number: entry?.reference_number,
        title: entry?.title,
        directive_type: entry?.type,
        applicability: entry?.applicability,
        directive_status: entry?.directive_status,
        effective_date: entry?.effective_date,
        status: entry?.status,
        status_reason: entry?.status_reason,
        past_limit: entry?.past_limit,
        next_due_date: entry?.next_due.date,
        next_due_flight_hours: entry?.next_due.flight_hours,
        next_due_cycles: entry?.next_due.cycles,
        deferred_until_date: entry?.deferred_until?.date,
        deferred_until_flight_hours: entry?.deferred_until?.flight_hours,
        deferred_until_cycles: entry?.deferred_until?.cycles,
        last_compliance_at: last?.performed_at,
        last_compliance_method: last?.method,
        last_compliance_flight_hours: last?.flight_hours,
        last_compliance_cycles: last?.cycles,
        signer_email: last?.signer_email,
        signed_by: last?.signed_by,
        compliance_task_id: last?.task_id,
        directive_id: entry?.directive_id,
      };
      yield DIRECTIVE_CSV_COLUMNS.map((column) => line[column]);
    }
  }
}

/** `directive-compliance-<authority code>-<org_id>-<date>`, the authority code made file-name safe. */
const directiveReportFilename = (report: DirectiveComplianceReport, extension: string) =>
  `directive-compliance-${report.header.authority.code.replace(/[^A-Za-z0-9]+/g, '-')}-${report.header.orgId}-${exportDate(report.header.generatedAt)}.${extension}`;

/** `/reports`: read-only figures over one organization; the compliance report is for auditors and admins. */
export const reportRoutes =
  ({ reports }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/reports/summary',
      {
        config: policy('reports', 'read'),
        schema: {
          tags,
          summary: 'Operational summary',
          description: `${SCOPE_NOTE} Fleet by status, tasks by state with overdue and upcoming ones, parts in stock, expiring and below minimum, compliance items by result and sign-off. Counts cover live (not deleted) rows; every status, state and result is present, zeros included.`,
          querystring: ScopeQuery,
          response: { 200: SummaryReport, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        summaryReportView(await reports.summary(actorOf(request), { orgId: request.query.org_id })),
    );

    app.get(
      '/reports/compliance',
      {
        config: policy('reports', 'advanced'),
        schema: {
          tags,
          summary: 'Compliance report',
          description: `${SCOPE_NOTE} Live compliance items with their task and aircraft, filtered by the auditor’s criteria. ${COMPLIANCE_TIME_NOTE} Oldest first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ComplianceQuery,
          response: { 200: Type.Array(ComplianceReportRowSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await reports.compliance(
          actorOf(request),
          { ...complianceFilterOf(query), sort: query.sort },
          page,
        );
        return sendPage(request, reply, page, result, complianceReportRowView);
      },
    );

    app.get(
      '/reports/compliance/export',
      {
        config: policy('reports', 'advanced'),
        schema: {
          tags,
          summary: 'Export the compliance report as CSV',
          description: `${SCOPE_NOTE} Streams every matching row, oldest first (by created_at), as CSV with a header line and the columns ${CSV_COLUMNS.join(', ')}. Cells that a spreadsheet would read as a formula are prefixed with \`'\`. Same filters as the report.`,
          querystring: ComplianceExportQuery,
          response: {
            200: {
              description: 'The matching rows as CSV (`compliance-report-<org_id>-<date>.csv`).',
              content: {
                'text/csv': {
                  schema: Type.String({
                    description: 'CSV, UTF-8, one header line, one line per compliance item.',
                  }),
                },
              },
            },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const { orgId, rows } = await reports.exportCompliance(
          actorOf(request),
          complianceFilterOf(request.query),
        );
        // The schema documents the CSV text; Fastify sends a stream of it as it is produced.
        const untyped: FastifyReply = reply;
        return sendCsv(request, untyped, {
          columns: CSV_COLUMNS,
          records: csvRecords(rows),
          filename: `compliance-report-${orgId}-${exportDate()}.csv`,
          what: 'compliance report export',
        });
      },
    );

    app.get(
      '/reports/directive-compliance',
      {
        config: policy('reports', 'directive_compliance'),
        schema: {
          tags,
          summary: 'Directive compliance report of one authority',
          description: `${SCOPE_NOTE} Per live aircraft of the organization (or the one \`aircraft_id\` names), by tail number: each directive of the authority tracked on it (live directives; a superseded or cancelled one only when it has compliance history on that aircraft), by reference number, with its status, its latest act of compliance (date, method, hours/cycles, signer, task) and its next due; the organization’s registrations with the authority in the header. \`format=json\` (default) answers the structure below; \`format=csv\` streams one line per aircraft and directive (columns ${DIRECTIVE_CSV_COLUMNS.join(', ')}; an aircraft with no directive has one line with empty directive cells); \`format=pdf\` streams a PDF (a table per aircraft, a page header with the organization, authority, registration and generation time, "Page N of M"). CSV and PDF come as attachments named \`directive-compliance-<authority>-<org_id>-<date>.csv|pdf\`. An unknown authority_id answers 404.`,
          querystring: DirectiveComplianceQuery,
          response: {
            200: {
              description: 'The report, as JSON, CSV or PDF as `format` asks.',
              content: {
                'application/json': { schema: DirectiveComplianceReportSchema },
                'text/csv': {
                  schema: Type.String({
                    description: 'CSV, UTF-8, one header line, one line per aircraft and directive.',
                  }),
                },
                'application/pdf': {
                  schema: Type.String({ format: 'binary', description: 'The report as a PDF.' }),
                },
              },
            },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const report = await reports.directiveCompliance(actorOf(request), {
          orgId: query.org_id,
          authorityId: query.authority_id,
          aircraftId: query.aircraft_id,
        });
        // The schema documents each format; Fastify sends the streams as they are produced.
        const untyped: FastifyReply = reply;
        const format = query.format ?? 'json';
        if (format === 'csv') {
          return sendCsv(request, untyped, {
            columns: DIRECTIVE_CSV_COLUMNS,
            records: directiveCsvRecords(report),
            filename: directiveReportFilename(report, 'csv'),
            what: 'directive compliance report',
          });
        }
        const header = directiveComplianceHeaderView(report.header);
        const aircraft = directiveReportAircraft(report.rows, report.header.generatedAt);
        if (format === 'pdf') {
          // Loaded on the first PDF asked for (most server processes never render one): pdfkit and
          // its fonts kept an idle server 6 MB larger (198 → 192 MB RSS).
          const { directiveComplianceReportPdf } = await import('../pdf/directive-compliance-report.js');
          const pdf = directiveComplianceReportPdf(header, aircraft);
          pdf.on('error', (error) =>
            request.log.error({ err: error }, 'directive compliance report PDF failed'),
          );
          return untyped
            .type('application/pdf')
            .header('Content-Disposition', `attachment; filename="${directiveReportFilename(report, 'pdf')}"`)
            .send(pdf);
        }
        const list = [];
        for await (const one of aircraft) list.push(one);
        return untyped.type('application/json; charset=utf-8').send({ ...header, aircraft: list });
      },
    );

    app.get(
      '/reports/mechanic-workload',
      {
        config: policy('reports', 'read'),
        schema: {
          tags,
          summary: 'Mechanic workload',
          description: `${SCOPE_NOTE} One row per live mechanic of the organization, those with nothing assigned included: their scheduled and in-progress tasks, the planned hours of those and the next start. \`from\`/\`to\` narrow the tasks counted to those starting in [from, to). Sorted by email unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: WorkloadQuery,
          response: { 200: Type.Array(MechanicWorkload), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await reports.mechanicWorkload(
          actorOf(request),
          { orgId: query.org_id, from: toDate(query.from), to: toDate(query.to), sort: query.sort },
          page,
        );
        return sendPage(request, reply, page, result, mechanicWorkloadView);
      },
    );
  };
