import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  aircraftDirectiveView,
  complianceRecordView,
  complianceStatusView,
  DIRECTIVE_AIRCRAFT_SORT_FIELDS,
  SETTABLE_STATUSES,
  STATUS_SORT_FIELDS,
} from '../../../app/directive-compliance.js';
import { rowCursor } from '../../../app/pagination.js';
import type { Services } from '../../../app/services.js';
import { TRACKING_STATUSES } from '../../../domain/directive.js';
import { mutationContext } from '../context.js';
import { CursorQuery, pageFrom, sendCursorPage, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  SCOPE_NOTE,
  sortQuery,
  timestampField,
  toDate,
  uuidField,
  Uuid,
} from '../schemas/common.js';

const dateField = (description: string) => Type.String({ format: 'date', description });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const TrackingStatus = Type.Enum(TRACKING_STATUSES, {
  description:
    "The directive's status on the aircraft: pending (owed), in_progress (a task is working on it), complied (a one-time directive, closed), not_applicable (with a reason), deferred (with an approved new limit), overdue.",
});

/** A due: whichever of a day, a flight-hour reading and a cycle count comes first. */
const Due = Type.Object(
  {
    date: nullable(dateField('The due day.'), 'The due day, or null when no day limits.'),
    flight_hours: nullable(
      Type.Number({ description: "The aircraft's total flight hours it is due at." }),
      'The flight-hour reading it is due at, or null.',
    ),
    cycles: nullable(
      Type.Integer({ description: "The aircraft's total cycles it is due at." }),
      'The cycle count it is due at, or null.',
    ),
  },
  {
    additionalProperties: false,
    description: 'Due whichever comes first of these; all null: nothing due.',
  },
);

/** A directive's tracking row on one aircraft. */
const AircraftDirective = Type.Object(
  {
    id: uuidField('Tracking row id.'),
    org_id: uuidField('The organization.'),
    aircraft_id: uuidField('The aircraft.'),
    directive_id: uuidField('The directive.'),
    status: TrackingStatus,
    status_reason: nullable(Type.String(), 'Why it is not applicable or deferred; null otherwise.'),
    baseline_date: dateField('Where the initial limit counts from: the effective date.'),
    baseline_flight_hours: Type.Number({ description: "The aircraft's flight hours at the baseline." }),
    baseline_cycles: Type.Integer({ description: "The aircraft's cycles at the baseline." }),
    next_due: Due,
    deferred_until: nullable(Due, 'The approved new limit of a deferral; null unless deferred.'),
    effective_due: Due,
    last_compliance_id: nullable(Uuid, 'The latest compliance record, or null.'),
    last_complied_at: nullable(timestampField('When'), 'When the latest compliance was performed, or null.'),
    status_changed_by: nullable(Uuid, 'Who last set the status by hand, or null.'),
    task_id: nullable(Uuid, 'The task working on it, while one is.'),
    created_at: timestampField('When the directive was first tracked on the aircraft.'),
    updated_at: timestampField('When the row last changed.'),
  },
  {
    additionalProperties: false,
    description:
      "A directive on one aircraft. `next_due` is the limit the directive sets (initially from the effective date, then from the last compliance); `effective_due` is what counts now: the deferral's limit while deferred, else `next_due`.",
  },
);

const ComplianceRecord = Type.Object(
  {
    id: uuidField('Compliance record id.'),
    org_id: uuidField('The organization.'),
    aircraft_directive_id: uuidField('The tracking row.'),
    aircraft_id: uuidField('The aircraft.'),
    directive_id: uuidField('The directive.'),
    performed_at: timestampField('When the work was performed.'),
    flight_hours: Type.Number({ description: "The aircraft's total flight hours then." }),
    cycles: Type.Integer({ description: "The aircraft's total cycles then." }),
    method: Type.String({ description: 'How it was complied with.' }),
    notes: nullable(Type.String(), 'Notes, or null.'),
    task_id: nullable(Uuid, 'The task that did the work, or null.'),
    signed_by: uuidField('The certifying signer.'),
    signer_email: nullable(Type.String(), "The signer's email (null if the user is gone)."),
    signature_meaning: Type.Literal('complied', { description: 'What the signature means.' }),
    signed_at: timestampField('When it was signed.'),
    next_due: Due,
    created_at: timestampField('When it was recorded.'),
  },
  {
    additionalProperties: false,
    description: 'One signed act of compliance: immutable (the database refuses any change or deletion).',
  },
);

const RecordedCompliance = Type.Object(
  { ...ComplianceRecord.properties, tracking: AircraftDirective },
  {
    additionalProperties: false,
    description: 'The new compliance record and the tracking row as it moved.',
  },
);

const StatusRow = Type.Object(
  {
    id: uuidField('Tracking row id.'),
    aircraft_id: uuidField('The aircraft.'),
    tail_number: Type.String({ description: "The aircraft's tail number." }),
    directive_id: uuidField('The directive.'),
    reference_number: Type.String({ description: "The authority's reference number." }),
    title: Type.String({ description: 'The directive title.' }),
    directive_type: Type.String({ description: 'ad, emergency_ad, sb, alert_sb or eo.' }),
    authority_id: uuidField('The issuing authority.'),
    authority_code: Type.String({ description: 'The authority code, e.g. FAA.' }),
    applicability: Type.String({ description: 'mandatory, recommended or optional.' }),
    directive_status: Type.String({ description: 'active, superseded or cancelled.' }),
    status: TrackingStatus,
    status_reason: nullable(Type.String(), 'Why it is not applicable or deferred.'),
    next_due: Due,
    deferred_until: nullable(Due, 'The approved new limit of a deferral; null unless deferred.'),
    effective_due: Due,
    projected_due_date: nullable(
      dateField('Projected day'),
      "The day the effective due is projected to be reached: its date, or the day the aircraft's counters reach its hours or cycles at the average daily use of the last 90 days (today when already reached), whichever first; null when nothing projects (no date limit and the aircraft did not fly).",
    ),
    task_id: nullable(Uuid, 'The task working on it, while one is.'),
    last_compliance: nullable(
      Type.Object(
        {
          id: Uuid,
          performed_at: timestampField('When it was performed.'),
          flight_hours: Type.Number({ description: 'Flight hours then.' }),
          cycles: Type.Integer({ description: 'Cycles then.' }),
          method: Type.String({ description: 'How.' }),
          signed_by: Uuid,
          signer_email: nullable(Type.String(), "The signer's email."),
        },
        { additionalProperties: false },
      ),
      'The latest compliance record, or null.',
    ),
  },
  { additionalProperties: false, description: 'One directive on one aircraft with its status and due.' },
);

const MatrixBody = Type.Object(
  {
    directives: Type.Array(
      Type.Object(
        {
          id: Uuid,
          reference_number: Type.String(),
          title: Type.String(),
          type: Type.String(),
          authority_id: Uuid,
          authority_code: Type.String(),
          applicability: Type.String(),
          status: Type.String({ description: 'active, superseded or cancelled.' }),
        },
        { additionalProperties: false },
      ),
      {
        description:
          'The columns, in order (authority code, then reference number): every directive with at least one cell under the filters, the same on every page.',
      },
    ),
    aircraft: Type.Array(
      Type.Object(
        {
          id: Uuid,
          tail_number: Type.String(),
          aircraft_type_id: nullable(Uuid, 'The aircraft type.'),
          cells: Type.Array(
            Type.Object(
              {
                directive_id: Uuid,
                status: TrackingStatus,
                next_due_date: nullable(
                  dateField('Due day'),
                  "The effective due date (the deferral's while deferred), or null.",
                ),
              },
              { additionalProperties: false },
            ),
            {
              description:
                'The tracked directives of this aircraft in column order; a column with no cell here is not tracked on it (or filtered out).',
            },
          ),
        },
        { additionalProperties: false },
      ),
      {
        description:
          'One page of rows, by tail number: the aircraft with at least one cell under the filters.',
      },
    ),
    next_cursor: nullable(
      Type.String(),
      'The cursor of the next page of aircraft (also in the `Link` header), or null on the last page.',
    ),
  },
  {
    additionalProperties: false,
    description: 'The aircraft × directive compliance grid, paginated by aircraft.',
  },
);

const Password = Type.String({
  minLength: 1,
  maxLength: 256,
  description:
    "Your own account password: the signature's re-authentication. Required while the organization's policy `sign_off_reauthentication` is on (the default); a missing or wrong one is 401 SIGNATURE_REAUTHENTICATION_FAILED and counts like a failed login (429 after too many). Never stored, logged or echoed.",
});

const TrackingParams = Type.Object(
  { id: uuidField('The aircraft.'), directiveId: uuidField('The directive.') },
  { additionalProperties: false },
);
const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const RecordBody = Type.Object(
  {
    performed_at: timestampField('When the work was performed; not in the future.'),
    flight_hours: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 9_999_999_999.99,
        description: "The aircraft's total flight hours then; default: its current total.",
      }),
    ),
    cycles: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2_147_483_647,
        description: "The aircraft's total cycles then; default: its current total.",
      }),
    ),
    method: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'How it was complied with: inspection, modification, replacement, terminating action, …',
    }),
    notes: Type.Optional(Type.String({ maxLength: 4000, description: 'Free notes.' })),
    task_id: Type.Optional(
      uuidField('The task that did the work: of this aircraft, in progress or completed.'),
    ),
    password: Type.Optional(Password),
  },
  {
    additionalProperties: false,
    description: 'One act of compliance, signed by you.',
    examples: [
      {
        performed_at: '2030-03-01T10:00:00Z',
        method: 'Inspection per paragraph (g), no findings',
        password: 'your-own-password',
      },
    ],
  },
);

const StatusBody = Type.Object(
  {
    status: Type.Enum(SETTABLE_STATUSES, {
      description: 'not_applicable or deferred (each with a reason), or pending (clears both).',
    }),
    reason: Type.Optional(
      Type.String({ maxLength: 2000, description: 'Why; required for not_applicable and deferred.' }),
    ),
    deferred_until: Type.Optional(
      Type.Object(
        {
          date: Type.Optional(dateField('The approved new due day.')),
          flight_hours: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 9_999_999_999.99,
              description: 'The approved new due hours.',
            }),
          ),
          cycles: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The approved new due cycles.' }),
          ),
        },
        {
          additionalProperties: false,
          description:
            "The approved new limit (whichever comes first); required for deferred, at least one field. It replaces the directive's own limit while deferred.",
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'The new status.' },
);

const StatusListQuery = (fields: readonly string[]) =>
  Type.Object(
    {
      ...PageQuery,
      ...CursorQuery,
      ...OrgScopeQuery,
      status: Type.Optional(Type.Enum(TRACKING_STATUSES, { description: 'Only rows with this status.' })),
      sort: sortQuery(fields),
    },
    { additionalProperties: false },
  );

const HistoryQuery = Type.Object(
  { ...PageQuery, ...CursorQuery, ...OrgScopeQuery },
  { additionalProperties: false },
);

const MatrixQuery = Type.Object(
  {
    limit: PageQuery.limit,
    ...CursorQuery,
    ...OrgScopeQuery,
    authority_id: Type.Optional(uuidField('Only directives of this authority.')),
    status: Type.Optional(Type.Enum(TRACKING_STATUSES, { description: 'Only cells with this status.' })),
    aircraft_type_id: Type.Optional(uuidField('Only aircraft of this type.')),
  },
  { additionalProperties: false },
);

/**
 * A signature's password is left out of the Idempotency-Key fingerprint: a fast hash over a body
 * that is otherwise known would be an offline-guessable copy of the password.
 */
const SIGNATURE_CONFIG = { idempotencyFingerprintOmits: ['password'] };

const tags = ['directives'];

/** Recording compliance with directives on aircraft, their status, and the compliance views. */
export const directiveComplianceRoutes =
  ({ directiveCompliance }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/aircraft/:id/directives/:directiveId/compliance',
      {
        config: { ...policy('directive_compliance', 'record'), ...SIGNATURE_CONFIG },
        schema: {
          tags,
          summary: 'Record compliance with a directive on an aircraft',
          description:
            "An electronic signature meaning `complied`, by you, signed in as yourself (an API key is 403 API_KEY_FORBIDDEN), a person of the aircraft's organization. Unless the organization's policy `sign_off_reauthentication` is off, the body carries your password (missing or wrong: 401 SIGNATURE_REAUTHENTICATION_FAILED, nothing written, counted like a failed login). You must be qualified to certify the work: the certifying skill requirements of the task's type (an inspection when no task is named) on the aircraft's type (409 MECHANIC_NOT_QUALIFIED naming what is missing). The directive must be tracked on the aircraft (404 DIRECTIVE_NOT_TRACKED) and active (409 DIRECTIVE_NOT_ACTIVE); a row marked not applicable is 409 DIRECTIVE_NOT_APPLICABLE, and a one-time directive already complied with is 409 DIRECTIVE_ALREADY_COMPLIED (also for the loser of two racing records). A task named must be of this aircraft (404 TASK_NOT_FOUND, 400 TASK_OF_OTHER_AIRCRAFT) and in progress or completed (409 TASK_NOT_STARTED), and records once (409 TASK_COMPLIANCE_ALREADY_RECORDED). Writes an immutable history row; a one-time directive is then `complied` (nothing due), a recurring one `pending` with its next due counted from this compliance (calendar and usage, whichever first). Emits `directive_compliance_recorded`.",
          params: TrackingParams,
          querystring: ScopeQuery,
          body: RecordBody,
          response: { 201: RecordedCompliance, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const { record, tracking } = await directiveCompliance.record(mutationContext(request), {
          orgId: request.query.org_id,
          aircraftId: request.params.id,
          directiveId: request.params.directiveId,
          performedAt: toDate(body.performed_at),
          flightHours: body.flight_hours,
          cycles: body.cycles,
          method: body.method,
          notes: body.notes,
          taskId: body.task_id,
          password: body.password,
        });
        return reply
          .code(201)
          .send({ ...complianceRecordView(record), tracking: aircraftDirectiveView(tracking) });
      },
    );

    app.get(
      '/aircraft/:id/directives/:directiveId/compliance',
      {
        config: policy('directive_compliance', 'read'),
        schema: {
          tags,
          summary: 'List the compliance history of a directive on an aircraft',
          description: `${SCOPE_NOTE} Newest first (by when the work was performed), with each signer's email; paginated with \`Link: <…>; rel="next"\`. 404 DIRECTIVE_NOT_TRACKED when the directive is not tracked on the aircraft.`,
          params: TrackingParams,
          querystring: HistoryQuery,
          response: { 200: Type.Array(ComplianceRecord), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const page = pageFrom(request.query);
        const result = await directiveCompliance.history(
          actorOf(request),
          {
            orgId: request.query.org_id,
            aircraftId: request.params.id,
            directiveId: request.params.directiveId,
          },
          page,
        );
        return sendPage(request, reply, page, result, complianceRecordView);
      },
    );

    app.patch(
      '/aircraft/:id/directives/:directiveId',
      {
        config: policy('directive_compliance', 'set_status'),
        schema: {
          tags,
          summary: 'Set the status of a directive on an aircraft',
          description: `${SCOPE_NOTE} \`not_applicable\` and \`deferred\` need a \`reason\` (400 naming it); \`deferred\` needs \`deferred_until\`, its approved new limit (400 DEFERRAL_LIMIT_REQUIRED), which is the effective due while deferred — \`next_due\` keeps the directive's own limit. \`pending\` clears the reason and the deferral. A directive complied with (closed) is 409 DIRECTIVE_ALREADY_COMPLIED. Records who changed it. Emits \`directive_status_changed\`.`,
          params: TrackingParams,
          querystring: ScopeQuery,
          body: StatusBody,
          response: { 200: AircraftDirective, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const tracking = await directiveCompliance.setStatus(mutationContext(request), {
          orgId: request.query.org_id,
          aircraftId: request.params.id,
          directiveId: request.params.directiveId,
          status: body.status,
          reason: body.reason,
          deferredUntil: body.deferred_until && {
            date: body.deferred_until.date,
            flightHours: body.deferred_until.flight_hours,
            cycles: body.deferred_until.cycles,
          },
        });
        return aircraftDirectiveView(tracking);
      },
    );

    app.get(
      '/aircraft/:id/compliance-status',
      {
        config: policy('directive_compliance', 'read'),
        schema: {
          tags,
          summary: "List an aircraft's directives with their status and due",
          description: `${SCOPE_NOTE} Every directive tracked on the aircraft (404 AIRCRAFT_NOT_FOUND otherwise): status, next and effective due, the projected due date and the last compliance. Soonest projected due first unless \`sort\` says otherwise (open ends last); paginated with \`Link: <…>; rel="next"\`.`,
          params: IdParams,
          querystring: StatusListQuery(STATUS_SORT_FIELDS),
          response: { 200: Type.Array(StatusRow), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await directiveCompliance.aircraftStatus(
          actorOf(request),
          { orgId: query.org_id, aircraftId: request.params.id, status: query.status, sort: query.sort },
          page,
        );
        return sendPage(request, reply, page, result, complianceStatusView);
      },
    );

    app.get(
      '/directives/:id/aircraft',
      {
        config: policy('directive_compliance', 'read'),
        schema: {
          tags,
          summary: 'List the aircraft a directive is tracked on',
          description: `${SCOPE_NOTE} Every live aircraft the directive is tracked on (404 DIRECTIVE_NOT_FOUND otherwise), with the same fields as an aircraft's compliance status. By tail number unless \`sort\` says otherwise (\`next_due_date\` sorts by the effective due date, \`projected_due_date\` by the projection; open ends last); paginated with \`Link: <…>; rel="next"\`.`,
          params: IdParams,
          querystring: StatusListQuery(DIRECTIVE_AIRCRAFT_SORT_FIELDS),
          response: { 200: Type.Array(StatusRow), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await directiveCompliance.directiveAircraft(
          actorOf(request),
          { orgId: query.org_id, directiveId: request.params.id, status: query.status, sort: query.sort },
          page,
        );
        return sendPage(request, reply, page, result, complianceStatusView);
      },
    );

    app.get(
      '/compliance-matrix',
      {
        config: policy('directive_compliance', 'read'),
        schema: {
          tags,
          summary: 'The aircraft × directive compliance matrix',
          description: `${SCOPE_NOTE} An object, not a bare list: \`directives\` are the columns (the same on every page), \`aircraft\` one page of rows by tail number, each with its \`cells\` (\`{directive_id, status, next_due_date}\`; a missing cell means not tracked). Filters narrow the cells (\`authority_id\`: directives of the authority; \`status\`: cells of the status; \`aircraft_type_id\`: aircraft of the type); an aircraft or directive without a cell left is left out. Paginated by aircraft: \`limit\` and \`cursor\` (\`next_cursor\` and the \`Link\` header carry the next page).`,
          querystring: MatrixQuery,
          response: { 200: MatrixBody, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom({ limit: query.limit, cursor: query.cursor ?? '' });
        const result = await directiveCompliance.matrix(
          actorOf(request),
          {
            orgId: query.org_id,
            authorityId: query.authority_id,
            status: query.status,
            aircraftTypeId: query.aircraft_type_id,
          },
          page,
        );
        const last = result.aircraft.at(-1);
        const nextCursor = result.hasMore && last ? rowCursor('', last.id) : undefined;
        const aircraft = sendCursorPage(request, reply, { items: result.aircraft, nextCursor }, (row) => ({
          id: row.id,
          tail_number: row.tailNumber,
          aircraft_type_id: row.aircraftTypeId,
          cells: row.cells.map((cell) => ({
            directive_id: cell.directiveId,
            status: cell.status,
            next_due_date: cell.nextDueDate,
          })),
        }));
        return {
          directives: result.directives.map((d) => ({
            id: d.id,
            reference_number: d.referenceNumber,
            title: d.title,
            type: d.type,
            authority_id: d.authorityId,
            authority_code: d.authorityCode,
            applicability: d.applicability,
            status: d.status,
          })),
          aircraft,
          next_cursor: nextCursor ?? null,
        };
      },
    );
  };
