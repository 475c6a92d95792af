/**
 * Prints the OpenAPI document the server serves (`npm run openapi -- [--yaml] [--out FILE]`),
 * without a database or Redis. `--out` writes it to FILE instead, creating its directory
 * (`npm run openapi:lint` writes dist/openapi.json on a fresh clone, where dist/ does not exist
 * yet, and checks it with Redocly).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openapiDocument } from './openapi-document.js';

const { values } = parseArgs({
  options: { yaml: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const document = values.yaml
  ? await openapiDocument('yaml')
  : `${JSON.stringify(await openapiDocument(), null, 2)}\n`;
if (values.out === undefined) process.stdout.write(document);
else {
  await mkdir(path.dirname(values.out), { recursive: true });
  await writeFile(values.out, document);
}
