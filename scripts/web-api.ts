/**
 * Writes the console's typed API client types (web/src/api/schema.d.ts) from AMSS's own OpenAPI
 * document (`npm run web:api`); test/web/api-client.test.ts fails when the file is stale.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { openapiDocument } from './openapi-document.js';

export const CLIENT_TYPES = path.resolve(import.meta.dirname, '../web/src/api/schema.d.ts');

/** The TypeScript declarations of every path and schema of the document, as openapi-typescript writes them. */
export async function clientTypes(): Promise<string> {
  const ast = await openapiTS((await openapiDocument()) as unknown as OpenAPI3);
  return `// Generated from AMSS's OpenAPI document by \`npm run web:api\`; do not edit.\n\n${astToString(ast)}`;
}

if (process.argv[1] === import.meta.filename) {
  await writeFile(CLIENT_TYPES, await clientTypes());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CLIENT_TYPES)}\n`);
}
