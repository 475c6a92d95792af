import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/app/demo-data.js';
import { freePort } from '../support/ports.js';

let dev: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  // A failed assertion must not leave the server running.
  if (dev && dev.exitCode === null && dev.signalCode === null) dev.kill('SIGKILL');
});

/**
 * `amss dev` as on a fresh machine (no DB_URL, no REDIS_ADDR), in memory or in `dataDir`;
 * resolves with the banner.
 */
async function startDev(
  port: number,
  dataDir?: string,
  logLevel = 'warn',
): Promise<{ banner: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HTTP_ADDR: `127.0.0.1:${port}`, LOG_LEVEL: logLevel };
  if (dataDir !== undefined) env.PGLITE_DATA_DIR = dataDir;
  env.BCRYPT_COST = '4';
  for (const name of ['DB_URL', 'REDIS_ADDR', 'APP_ENV', 'JWT_PRIVATE_KEY_PEM', 'JWT_PUBLIC_KEY_PEM']) {
    delete env[name];
  }
  const args = [
    '--import',
    'tsx',
    'src/cmd/cli.ts',
    'dev',
    ...(dataDir === undefined ? ['--in-memory'] : []),
  ];
  const child = spawn(process.execPath, args, { env });
  dev = child;
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const banner = await new Promise<string>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/AMSS is ready[\s\S]*curl/.test(output)) resolve(output);
    });
    child.once('exit', (code) => reject(new Error(`amss dev exited early (${code}):\n${output}`)));
  }).finally(() => {
    clearTimeout(timer);
    child.removeAllListeners('exit');
  });
  return { banner, output: () => output };
}

/** How long a log line written before the banner may take to arrive after it. */
const LOG_LINE_WAIT = { timeout: 20_000, interval: 100 };

/** Whether the start brought the demo up to date, from its `startup phases` log line. */
function demoSeeded(output: string): boolean | undefined {
  const line = output.split('\n').find((l) => l.includes('"startup phases"'));
  return line === undefined ? undefined : (JSON.parse(line) as { demo_seeded: boolean }).demo_seeded;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('amss dev --in-memory', () => {
  it('starts with zero setup, prints the demo org and logins, serves a login and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { banner, output } = await startDev(port);
    expect(banner).toMatch(/demo org\s+[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/);
    expect(banner).toContain(`password ${DEMO_PASSWORD}`);
    for (const { email, role } of DEMO_USERS) {
      expect(banner).toMatch(new RegExp(`${escape(email)}\\s+${role}\\b`));
    }
    expect(banner).toContain(`http://127.0.0.1:${port}/api/v1`);

    const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@demo.local', password: DEMO_PASSWORD }),
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { token_type: string; access_token: string };
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    dev!.kill('SIGTERM');
    const [code] = (await once(dev!, 'exit')) as [number | null];
    expect(code, output()).toBe(0);
  }, 90_000);
});

describe('amss dev on disk', () => {
  it('creates its data directory on a fresh checkout and finds the demo data again after a restart', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'amss-dev-'));
    const dataDir = path.join(root, 'data', 'pglite');
    try {
      const port = await freePort();
      const first = await startDev(port, dataDir, 'info');
      const orgId = /demo org\s+(\S+)/.exec(first.banner)?.[1];
      // The log is written asynchronously: its line may follow the banner, by seconds on a slow
      // machine.
      await vi.waitFor(() => expect(demoSeeded(first.output())).toBe(true), LOG_LINE_WAIT);
      dev!.kill('SIGTERM');
      expect((await once(dev!, 'exit'))[0], first.output()).toBe(0);

      // A fresh port: another test file may have taken the first one in between. The same day, the
      // restart finds the demo as the first start left it and does not seed it again.
      const second = await startDev(await freePort(), dataDir, 'info');
      expect(/demo org\s+(\S+)/.exec(second.banner)?.[1]).toBe(orgId);
      await vi.waitFor(() => expect(demoSeeded(second.output())).toBe(false), LOG_LINE_WAIT);
      dev!.kill('SIGTERM');
      expect((await once(dev!, 'exit'))[0], second.output()).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
