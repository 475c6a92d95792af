import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToExit } from '../support/run.js';

const run = (command: string, args: string[]) => runToExit(command, args, { LOG_LEVEL: 'silent' });

describe('a fresh clone', () => {
  it('writes the OpenAPI document for openapi:lint into a directory that does not exist yet', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'amss-openapi-'));
    const out = path.join(root, 'dist', 'openapi.json');
    try {
      const result = await run(process.execPath, ['--import', 'tsx', 'scripts/openapi.ts', '--out', out]);

      expect(result.code, result.output).toBe(0);
      const document = JSON.parse(await readFile(out, 'utf8')) as { openapi: string; paths: object };
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toContain('/api/v1/aircraft');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);

  it('builds an executable `amss` that `npx amss` runs, as the README says', async () => {
    const build = await run('npm', ['run', 'build']);
    expect(build.code, build.output).toBe(0);
    expect((await stat('dist/cmd/main.js')).mode & 0o111, 'executable bits').toBe(0o111);
    expect((await readFile('dist/cmd/main.js', 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);

    // As a user types it: not inside another npx (CI runs the suite under `npx -p node@N`, whose
    // npm_config_package would make this npx look for `amss` in that package instead).
    const help = await runToExit('npx', ['amss', '--help'], {
      LOG_LEVEL: 'silent',
      npm_config_package: undefined,
    });

    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain('Usage: amss <command>');
  }, 300_000);
});
