import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'amss-proto-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('generated gRPC code', () => {
  it('matches proto/amss.proto (run `npm run proto` after changing it)', async () => {
    await run('npx', ['buf', 'generate', '--output', out]);

    for (const file of ['amss.ts', 'google/protobuf/timestamp.ts', 'google/protobuf/struct.ts']) {
      const fresh = await readFile(join(out, 'src/api/grpc/gen', file), 'utf8');
      expect(await readFile(join('src/api/grpc/gen', file), 'utf8'), file).toBe(fresh);
    }
  });

  it('serves by reflection the descriptors of the current proto', async () => {
    await run('npx', ['buf', 'build', '--exclude-source-info', '-o', join(out, 'amss.binpb')]);

    expect(Buffer.compare(await readFile('proto/amss.binpb'), await readFile(join(out, 'amss.binpb')))).toBe(
      0,
    );
  });
});
