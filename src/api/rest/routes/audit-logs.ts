import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  AUDIT_ACTIONS,
  auditLogView,
  type AuditLog,
  type AuditLogFilter,
  type AuditLogView,
} from '../../../app/audit-logs.js';
import { parseSort } from '../../../app/pagination.js';
import type { Services } from '../../../app/services.js';
import type { OrgScope } from '../../../app/access.js';
import { exportDate, sendCsv, type CsvCell } from '../csv.js';
import { pageFrom, sendCursorPage, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import {
  errorResponses,
  IdParams,
  OrgScopeQuery,
  PageQuery,
  sortQuery,
  timestampField,
  toDate,
  uuidField,
} from '../schemas/common.js';

const nullableText = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** One immutable audit row. */
const AuditLogEntry = Type.Object(
  {
    id: uuidField('Audit row id.'),
    org_id: uuidField('The organization whose data changed.'),
    actor_org_id: Type.Union([uuidField('The organization of the acting user.'), Type.Null()], {
      description:
        'The organization of the acting user (differs from org_id when an admin acts in another organization); null for background jobs.',
    }),
    user_id: Type.Union([uuidField('The acting user.'), Type.Null()], {
      description: 'The acting user; null for background jobs and anonymous clients.',
    }),
    actor: Type.String({
      description:
        'Who acted: `user:<role>` for a user, `system:<job>` for a background job, `anonymous` for a client nobody is signed in as (a failed login, a replayed refresh token).',
    }),
    entity_type: Type.String({
      description: 'What kind of record changed, e.g. `user`, `maintenance_program`.',
    }),
    entity_id: uuidField('The id of the record that changed.'),
    action: Type.Enum(AUDIT_ACTIONS, { description: 'create, update, delete or state_change.' }),
    entity_version: Type.Integer({
      description: 'The version of the record after the change; 0 when unversioned.',
    }),
    request_id: nullableText(
      'The X-Request-Id of the request that made the change; null for background jobs.',
    ),
    ip_address: nullableText('The client address of that request.'),
    user_agent: nullableText('The User-Agent of that request.'),
    timestamp: timestampField('When the change was committed.'),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'The record `before` and `after` the change as the API shows it, and any extra facts. A sign-in row (a `state_change` of a `user`) names its `event`: `signed_in`, `sign_in_failed`, `sign_in_locked`, `signed_out`, `refresh_token_reused` or `signature_failed` (a compliance sign-off or inspection refused for a missing or wrong password).',
    }),
  },
  { additionalProperties: false, description: 'One immutable audit log row.' },
);

/** The filters the list and the export share. */
const filterFields = {
  ...OrgScopeQuery,
  entity_type: Type.Optional(
    Type.String({
      pattern: '^[a-z][a-z0-9_]{0,63}$',
      description: 'Only rows about this kind of record, e.g. `aircraft`, `maintenance_task`.',
    }),
  ),
  entity_id: Type.Optional(uuidField('Only rows about this record.')),
  user_id: Type.Optional(uuidField('Only rows of changes made by this user.')),
  action: Type.Optional(Type.Enum(AUDIT_ACTIONS, { description: 'Only rows with this action.' })),
  from: Type.Optional(timestampField('Only rows at or after this instant.')),
  to: Type.Optional(timestampField('Only rows before this instant; must be after `from`.')),
};

const SORT_FIELDS = ['timestamp'] as const;

const ListQuery = Type.Object(
  {
    ...PageQuery,
    ...filterFields,
    cursor: Type.Optional(
      Type.String({
        maxLength: 512,
        description:
          'Keyset paging that stays stable while rows are added: send it empty (`cursor=`) for the first page, then follow the `Link` header, which carries the next cursor. Not combinable with `offset`.',
      }),
    ),
    sort: sortQuery(SORT_FIELDS),
  },
  { additionalProperties: false },
);

const ExportQuery = Type.Object(filterFields, { additionalProperties: false });

const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

/** The CSV columns of an export, in order: the fields of an audit row, `details` as JSON text. */
const CSV_COLUMNS = [
  'id',
  'org_id',
  'actor_org_id',
  'user_id',
  'actor',
  'entity_type',
  'entity_id',
  'action',
  'entity_version',
  'request_id',
  'ip_address',
  'user_agent',
  'timestamp',
  'details',
] as const satisfies readonly (keyof AuditLogView)[];

const tags = ['audit logs'];
const SCOPE_NOTE = 'Reads your organization’s audit log; an admin may name another with `?org_id=`.';

const filterOf = (query: Static<typeof ExportQuery>): AuditLogFilter & OrgScope => ({
  orgId: query.org_id,
  entityType: query.entity_type,
  entityId: query.entity_id,
  userId: query.user_id,
  action: query.action,
  from: toDate(query.from),
  to: toDate(query.to),
});

/** The CSV record of one audit row. */
async function* csvRecords(rows: AsyncIterable<AuditLog>): AsyncGenerator<CsvCell[]> {
  for await (const row of rows) {
    const view = auditLogView(row);
    yield CSV_COLUMNS.map((column) => (column === 'details' ? JSON.stringify(view.details) : view[column]));
  }
}

/** `/audit-logs`: the immutable audit trail; every role reads it, auditors and admins export it. */
export const auditLogRoutes =
  ({ auditLogs }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/audit-logs',
      {
        config: policy('audit_logs', 'read'),
        schema: {
          tags,
          summary: 'List audit log rows',
          description: `${SCOPE_NOTE} Newest first (\`sort=timestamp\` for oldest first). Page with \`limit\`/\`offset\`, or with \`cursor\` for pages that stay stable while rows are added; either way the response carries \`Link: <…>; rel="next"\` while more rows exist.`,
          querystring: ListQuery,
          response: { 200: Type.Array(AuditLogEntry), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const [sort] = parseSort(query.sort, SORT_FIELDS, [{ field: 'timestamp', direction: 'desc' }]);
        // The audit log's cursor is its own (timestamp and id, see AuditLogService.list).
        const page = pageFrom({ limit: query.limit, offset: query.offset });
        const result = await auditLogs.list(actorOf(request), filterOf(query), {
          direction: sort?.direction ?? 'desc',
          limit: page.limit,
          offset: query.offset,
          cursor: query.cursor,
        });
        return query.cursor === undefined
          ? sendPage(request, reply, page, result, auditLogView)
          : sendCursorPage(request, reply, result, auditLogView);
      },
    );

    app.get(
      '/audit-logs/export',
      {
        config: policy('audit_logs', 'export'),
        schema: {
          tags,
          summary: 'Export audit log rows as CSV',
          description: `${SCOPE_NOTE} Streams every matching row, oldest first, up to the moment the export started, as CSV with a header line and the columns ${CSV_COLUMNS.join(', ')}; \`details\` is JSON text. Cells that a spreadsheet would read as a formula are prefixed with \`'\`. Same filters as the list.`,
          querystring: ExportQuery,
          response: {
            200: {
              description: 'The matching rows as CSV (`audit-logs-<org_id>-<date>.csv`).',
              content: {
                'text/csv': {
                  schema: Type.String({
                    description: 'CSV, UTF-8, one header line, one line per audit row.',
                  }),
                },
              },
            },
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const { orgId, rows } = await auditLogs.export(actorOf(request), filterOf(request.query));
        // The schema documents the CSV text; Fastify sends a stream of it as it is produced.
        const untyped: FastifyReply = reply;
        return sendCsv(request, untyped, {
          columns: CSV_COLUMNS,
          records: csvRecords(rows),
          filename: `audit-logs-${orgId}-${exportDate()}.csv`,
          what: 'audit log export',
        });
      },
    );

    app.get(
      '/audit-logs/:id',
      {
        config: policy('audit_logs', 'read'),
        schema: {
          tags,
          summary: 'Get an audit log row',
          description: `${SCOPE_NOTE} Audit rows never change and cannot be deleted.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: AuditLogEntry, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        auditLogView(
          await auditLogs.get(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );
  };
