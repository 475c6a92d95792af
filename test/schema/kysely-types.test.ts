import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const SCHEMA_TS = new URL('../../src/infra/postgres/schema.ts', import.meta.url);

interface Column {
  table: string;
  column: string;
  nullable: boolean;
  hasDefault: boolean;
}

let t: TestDatabase;
let columns: Column[];
/** table → (column → TypeScript type text), as declared in schema.ts through `interface DB`. */
let declared: Map<string, Map<string, string>>;

beforeAll(async () => {
  t = await createTestDatabase();
  const { rows } = await sql<Column>`
    SELECT table_name AS "table", column_name AS "column", is_nullable = 'YES' AS nullable,
           (column_default IS NOT NULL OR is_generated = 'ALWAYS' OR is_identity = 'YES') AS "hasDefault"
      FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name NOT LIKE 'amss\\_migrations%'
     ORDER BY table_name, ordinal_position`.execute(t.db);
  columns = rows;
  declared = await readSchemaTs();
});
afterAll(async () => {
  await t.drop();
});

async function readSchemaTs(): Promise<Map<string, Map<string, string>>> {
  const source = ts.createSourceFile('schema.ts', await readFile(SCHEMA_TS, 'utf8'), ts.ScriptTarget.Latest);
  const interfaces = new Map<string, Map<string, string>>();
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const members = new Map<string, string>();
    for (const member of statement.members) {
      if (ts.isPropertySignature(member) && member.type) {
        members.set(member.name.getText(source), member.type.getText(source));
      }
    }
    interfaces.set(statement.name.text, members);
  }
  const tables = new Map<string, Map<string, string>>();
  for (const [table, iface] of interfaces.get('DB') ?? [])
    tables.set(table, interfaces.get(iface) ?? new Map<string, string>());
  return tables;
}

describe('src/infra/postgres/schema.ts matches the migrated database', () => {
  it('names exactly the tables of the database', () => {
    const tables = [...new Set(columns.map((c) => c.table))].sort();
    expect([...declared.keys()].sort()).toEqual(tables);
  });

  it('names exactly the columns of every table', () => {
    for (const table of declared.keys()) {
      const inDb = columns.filter((c) => c.table === table).map((c) => c.column);
      expect([...declared.get(table)!.keys()].sort(), table).toEqual(inDb.sort());
    }
  });

  it('types a column as nullable exactly when the database allows null', () => {
    const wrong = columns
      .filter((c) => {
        const type = declared.get(c.table)?.get(c.column);
        return type !== undefined && /\bnull\b/.test(type) !== c.nullable;
      })
      .map((c) => `${c.table}.${c.column}`);
    expect(wrong).toEqual([]);
  });

  it('marks a NOT NULL column with a database default as Generated, so inserts may omit it', () => {
    // Nullable columns are optional on insert anyway.
    const wrong = columns
      .filter((c) => {
        const type = declared.get(c.table)?.get(c.column);
        return type !== undefined && !c.nullable && type.startsWith('Generated') !== c.hasDefault;
      })
      .map((c) => `${c.table}.${c.column}`);
    expect(wrong).toEqual([]);
  });
});
