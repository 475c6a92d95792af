import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { CLIENT_TYPES, clientTypes } from '../../scripts/web-api.js';

it('keeps the console’s API client types in step with the OpenAPI document (run `npm run web:api`)', async () => {
  const committed = await readFile(CLIENT_TYPES, 'utf8');
  expect(committed === (await clientTypes()), 'web/src/api/schema.d.ts is stale: run `npm run web:api`').toBe(
    true,
  );
}, 60_000);
