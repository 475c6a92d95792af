import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, cp, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../support/ports.js';

// `npm start` builds a stale console in a process of its own while `amss dev --build-console` opens
// the database. Each test works on a copy of the checkout without web/dist, as a fresh clone has it,
// so the checkout's own console (which other tests serve) is never rebuilt under them.

const checkout = process.cwd();
let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A fresh clone's layout: sources and scripts, the installed packages linked in, no web/dist. */
async function freshCopy(): Promise<string> {
  scratch = await mkdtemp(path.join(tmpdir(), 'amss-console-build-'));
  for (const entry of [
    'src',
    'scripts',
    'web',
    'migrations',
    'proto',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ])
    await cp(path.join(checkout, entry), path.join(scratch, entry), {
      recursive: true,
      filter: (source) => !source.startsWith(path.join(checkout, 'web', 'dist')),
    });
  await symlink(path.join(checkout, 'node_modules'), path.join(scratch, 'node_modules'));
  return scratch;
}

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** `amss dev --in-memory --build-console` in `cwd`, as a fresh machine runs it. */
function startDev(cwd: string, port: number) {
  const env: NodeJS.ProcessEnv = {
    HTTP_ADDR: `127.0.0.1:${port}`,
    GRPC_ADDR: '127.0.0.1:0',
    LOG_LEVEL: 'warn',
  };
  env.BCRYPT_COST = '4';
  for (const name of ['DB_URL', 'REDIS_ADDR', 'APP_ENV', 'JWT_PRIVATE_KEY_PEM', 'JWT_PUBLIC_KEY_PEM'])
    env[name] = undefined;
  return run(cwd, ['--import', 'tsx', 'src/cmd/cli.ts', 'dev', '--in-memory', '--build-console'], env);
}

/** The processes running `script` (its absolute path on their command line), read from /proc. */
function processesRunning(script: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(script))
        found.push(Number(entry));
    } catch {
      // exited while listing
    }
  }
  return found;
}

describe('npm start on a fresh clone', () => {
  it('builds the missing console beside the database and serves it from the first page on', async () => {
    const root = await freshCopy();
    const port = await freePort();
    const dev = startDev(root, port);
    try {
      await vi.waitFor(
        () => {
          if (dev.child.exitCode !== null) throw new Error(`amss dev exited early:\n${dev.output()}`);
          if (!/AMSS is ready/.test(dev.output())) throw new Error('no banner yet');
        },
        { timeout: 120_000, interval: 200 },
      );
      expect(dev.output()).toMatch(/the web console built in [\d.]+ s[\s\S]*AMSS is ready/);

      const page = await fetch(`http://127.0.0.1:${port}/fleet`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      dev.child.kill('SIGTERM');
      if (dev.child.exitCode === null) await once(dev.child, 'exit');
    }
    expect(existsSync(path.join(root, 'web', 'dist', 'index.html'))).toBe(true);
    const built = (await stat(path.join(root, 'web', 'dist', 'index.html'))).mtimeMs;

    // A restart finds it up to date and leaves it alone; an edit of the console's sources rebuilds it.
    const again = run(root, ['scripts/build-console.mjs']);
    expect((await once(again.child, 'exit'))[0], again.output()).toBe(0);
    expect(again.output()).not.toContain('building');
    expect((await stat(path.join(root, 'web', 'dist', 'index.html'))).mtimeMs).toBe(built);

    await appendFile(path.join(root, 'web', 'src', 'main.tsx'), '\n');
    const edited = run(root, ['scripts/build-console.mjs']);
    expect((await once(edited.child, 'exit'))[0], edited.output()).toBe(0);
    expect(edited.output()).toMatch(/the web console built in/);
    expect((await stat(path.join(root, 'web', 'dist', 'index.html'))).mtimeMs).toBeGreaterThan(built);
  }, 180_000);

  it('stops with the build failure instead of serving without a console', async () => {
    const root = await freshCopy();
    await appendFile(path.join(root, 'web', 'src', 'main.tsx'), '\nexport const broken = ;\n');
    const dev = startDev(root, await freePort());

    const [code] = (await once(dev.child, 'exit')) as [number];

    expect(code, dev.output()).toBe(2);
    expect(dev.output()).toMatch(/amss: building the web console failed \(exit code 1\)/);
    expect(dev.output()).not.toMatch(/AMSS is ready/);
    expect(existsSync(path.join(root, 'web', 'dist'))).toBe(false);
  }, 180_000);

  it('leaves no build running and nothing half-built when the start is killed during the build', async () => {
    const root = await freshCopy();
    const script = path.join(root, 'scripts', 'build-console.mjs');
    const dev = startDev(root, await freePort());
    await vi.waitFor(
      () => {
        if (!dev.output().includes('building the web console')) throw new Error('not building yet');
        expect(processesRunning(script)).toHaveLength(1);
      },
      { timeout: 60_000, interval: 50 },
    );

    dev.child.kill('SIGKILL');

    await vi.waitFor(() => expect(processesRunning(script)).toEqual([]), { timeout: 15_000, interval: 100 });
    expect(readdirSync(path.join(root, 'web')).filter((name) => name.startsWith('dist'))).toEqual([]);
  }, 120_000);
});
