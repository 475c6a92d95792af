import { registerAjvFormats } from '@fastify/type-provider-typebox';
import { CursorQuery } from '../pagination.js';
import { Type, type TObject, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ImportRowChecker } from '../../../app/imports.js';
import {
  IMPORT_ROW_STATUSES,
  IMPORT_STATUSES,
  IMPORT_TYPES,
  ROW_OUTCOMES,
  rowRuleProblems,
  type ImportColumns,
  type ImportType,
} from '../../../domain/import.js';
import { CreateAircraftBody } from '../routes/aircraft.js';
import { CreateProgramBody } from '../routes/programs.js';
import { OrgScopeQuery, PageQuery, timestampField, uuidField } from './common.js';
import { CreateDefinitionBody, CreateItemBody } from './parts.js';

// The worker checks rows outside the REST server, so the formats (date-time, uuid) are registered here too.
registerAjvFormats();

const withoutKeys = (schema: TObject, keys: string[]): Record<string, TSchema> =>
  Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !keys.includes(key)));

const optional = (properties: Record<string, TSchema>): Record<string, TSchema> =>
  Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)]));

/**
 * The fields of one CSV row of each type: the JSON bodies of the REST create endpoints, so a row
 * is checked by exactly the rules a request is. Aircraft name their ICAO type by designator
 * (`aircraft_type`) instead of `aircraft_type_id`; programs name their aircraft by `tail_number`
 * instead of `aircraft_id`; a parts row is a definition plus, optionally, one item of it.
 */
export const IMPORT_ROW_SCHEMAS: Record<ImportType, TObject> = {
  aircraft: Type.Object(
    {
      ...withoutKeys(CreateAircraftBody, ['aircraft_type_id']),
      aircraft_type: Type.Optional(
        Type.String({
          maxLength: 20,
          description:
            'ICAO type designator of GET /aircraft-types, e.g. A20N (any case); one that names no type makes the row invalid.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  programs: Type.Object(
    {
      ...withoutKeys(CreateProgramBody, ['aircraft_id']),
      tail_number: Type.Optional(CreateAircraftBody.properties.tail_number),
    },
    { additionalProperties: false },
  ),
  parts: Type.Object(
    {
      ...CreateDefinitionBody.properties,
      ...optional(withoutKeys(CreateItemBody, ['part_definition_id'])),
    },
    { additionalProperties: false },
  ),
};

/** Compiled once: a valid row costs one generated check; the errors are collected only for rows that fail it. */
const ROW_VALIDATORS = Object.fromEntries(
  Object.entries(IMPORT_ROW_SCHEMAS).map(([type, schema]) => [type, Compile(schema)]),
) as Record<ImportType, ReturnType<typeof Compile<TObject>>>;

/** The columns of each type: the row schema's required and optional fields. */
export function importColumns(type: ImportType): ImportColumns {
  const schema = IMPORT_ROW_SCHEMAS[type];
  const required: readonly string[] = schema.required ?? [];
  return { required, optional: Object.keys(schema.properties).filter((key) => !required.includes(key)) };
}

/** True when the schema (or a member of its union) takes a number. */
function takesNumber(schema: TSchema): boolean {
  const s = schema as { type?: unknown; anyOf?: TSchema[] };
  if (s.type === 'number' || s.type === 'integer') return true;
  return (s.anyOf ?? []).some(takesNumber);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The JSON body a row's cells stand for: empty cells left out, numeric cells of number fields as numbers. */
function rowValue(schema: TObject, raw: Record<string, string>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [name, cell] of Object.entries(raw)) {
    const text = cell.trim();
    if (text === '') continue;
    const property = schema.properties[name];
    value[name] = property && takesNumber(property) && NUMBER.test(text) ? Number(text) : cell;
  }
  return value;
}

interface SchemaIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

/** One message per field, without the noise a union adds (`must be null`, `must match a schema in anyOf`). */
function issueMessages(issues: SchemaIssue[]): string[] {
  const byField = new Map<string, string>();
  for (const issue of issues) {
    if (issue.keyword === 'anyOf' || (issue.keyword === 'type' && issue.params.type === 'null')) continue;
    if (issue.keyword === 'required') {
      for (const name of [issue.params.requiredProperties ?? []].flat() as string[]) {
        byField.set(name, `${name}: is required`);
      }
      continue;
    }
    if (issue.keyword === 'additionalProperties') {
      for (const name of [issue.params.additionalProperties ?? []].flat() as string[]) {
        byField.set(name, `${name}: is not a known column`);
      }
      continue;
    }
    const field = issue.instancePath.replace(/^\//, '') || 'row';
    const allowed =
      issue.keyword === 'enum' ? (issue.params.allowedValues as unknown[] | undefined) : undefined;
    const message = allowed ? `must be one of ${allowed.join(', ')}` : issue.message;
    if (!byField.has(field)) byField.set(field, `${field}: ${message}`);
  }
  return [...byField.values()];
}

/** Checks rows with the REST create bodies' schemas and the domain's rules (see `ImportRowChecker`). */
export const importRowChecker: ImportRowChecker = {
  columns: importColumns,
  check(type, raw, now) {
    const schema = IMPORT_ROW_SCHEMAS[type];
    const value = rowValue(schema, raw);
    const validator = ROW_VALIDATORS[type];
    const problems = validator.Check(value) ? [] : issueMessages(validator.Errors(value));
    if (problems.length === 0) problems.push(...rowRuleProblems(type, value, now));
    return { value, problems };
  },
};

// ---------------------------------------------------------------------------------------------
// Requests and responses
// ---------------------------------------------------------------------------------------------

const ImportTypeField = Type.Enum(IMPORT_TYPES, {
  description: 'What the file holds: aircraft, parts (definitions and their items) or programs.',
});
const ImportStatusField = Type.Enum(IMPORT_STATUSES, {
  description:
    'pending (waiting for a worker), validating (rows being staged), applying (valid rows being written), completed or failed.',
});
const RowStatusField = Type.Enum(IMPORT_ROW_STATUSES, {
  description: 'valid or invalid after validation; applied (or invalid, with the error) after applying.',
});

/** A CSV import with its counts and progress. */
export const ImportSchema = Type.Object(
  {
    id: uuidField('Import id.'),
    org_id: uuidField('The organization the import writes into.'),
    type: ImportTypeField,
    status: ImportStatusField,
    file_name: Type.String({ description: 'The uploaded file name.' }),
    created_by: uuidField('The user who uploaded the file.'),
    total_rows: Type.Integer({ description: 'Data rows staged so far (the header is not counted).' }),
    valid_rows: Type.Integer({ description: 'Rows that passed validation and did not fail when applied.' }),
    invalid_rows: Type.Integer({ description: 'Rows that failed validation or failed when applied.' }),
    applied_rows: Type.Integer({ description: 'Rows written: created, updated or found unchanged.' }),
    summary: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Set when the import finishes: total, applied, rejected, and of the applied rows how many created, updated or left unchanged an entity.',
    }),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the import failed (a malformed file, for instance); null otherwise.',
    }),
    progress: Type.Object(
      {
        phase: ImportStatusField,
        rows_processed: Type.Integer({
          description: 'Rows staged (validating) or settled, applied or invalid (applying and after).',
        }),
        rows_total: Type.Union([Type.Integer(), Type.Null()], {
          description: 'All rows of the file; null until validation has read it all.',
        }),
        percent: Type.Union([Type.Integer(), Type.Null()], {
          description: '0–100; null while the total is not known.',
        }),
      },
      { description: 'How far the import has come.' },
    ),
    attempt_count: Type.Integer({ description: 'How many times a worker took the import up.' }),
    started_at: Type.Union([timestampField('When a worker first took the import up.'), Type.Null()]),
    finished_at: Type.Union([timestampField('When the import completed or failed.'), Type.Null()]),
    created_at: timestampField('When the file was uploaded.'),
    updated_at: timestampField('When the import last changed.'),
  },
  { additionalProperties: false, description: 'A CSV import.' },
);

/** The answer to an upload: the import, its id also as `import_id`, the name the specification gives it. */
export const ImportUploadSchema = Type.Object(
  {
    import_id: uuidField('Import id (the same as `id`; the name the specification gives the upload answer).'),
    ...ImportSchema.properties,
  },
  { additionalProperties: false, description: 'The pending import an upload created.' },
);

/** One data row of an import. */
export const ImportRowSchema = Type.Object(
  {
    id: uuidField('Row id.'),
    import_id: uuidField('The import the row belongs to.'),
    row_number: Type.Integer({ description: '1 is the first row after the header.' }),
    raw: Type.Record(Type.String(), Type.String(), {
      description: 'The cells of the row by column name, as read from the file.',
    }),
    status: RowStatusField,
    errors: Type.Array(Type.String(), { description: 'What is wrong with the row, one message each.' }),
    outcome: Type.Union([Type.Enum(ROW_OUTCOMES), Type.Null()], {
      description: 'What applying the row did: created, updated or unchanged; null until applied.',
    }),
    created_at: timestampField('When the row was staged.'),
    updated_at: timestampField('When the row last changed.'),
  },
  { additionalProperties: false, description: 'A staged CSV row with its problems.' },
);

export const ImportListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    status: Type.Optional(ImportStatusField),
    type: Type.Optional(ImportTypeField),
  },
  { additionalProperties: false },
);

export const ImportRowListQuery = Type.Object(
  { ...PageQuery, ...CursorQuery, ...OrgScopeQuery, status: Type.Optional(RowStatusField) },
  { additionalProperties: false },
);

export const ImportScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });
