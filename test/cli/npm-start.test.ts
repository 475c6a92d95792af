import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** `npm start` as a process manager or an IDE runs it: npm's own process is the one it signals. */
let npm: ChildProcessWithoutNullStreams | undefined;
let tree: number[] = [];
afterEach(() => {
  // A failed assertion must not leave a server running.
  const pids = npm && npm.exitCode === null ? descendants(npm.pid!) : tree;
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tree = [];
});

/** `npm start -- --in-memory` on free ports; resolves once the banner names the ports it bound. */
async function npmStart(): Promise<{ ports: number[]; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_ADDR: '127.0.0.1:0',
    GRPC_ADDR: '127.0.0.1:0',
    LOG_LEVEL: 'info',
    BCRYPT_COST: '4',
  };
  for (const name of ['DB_URL', 'REDIS_ADDR', 'APP_ENV', 'JWT_PRIVATE_KEY_PEM', 'JWT_PUBLIC_KEY_PEM']) {
    delete env[name];
  }
  // Not npm_* from the runner: npm start must behave as typed in a terminal.
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  npm = spawn('npm', ['start', '--', '--in-memory'], { env });
  let output = '';
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const banner = await vi.waitFor(
    () => {
      if (npm!.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      const match = /API\s+http:\/\/127\.0\.0\.1:(\d+)[\s\S]*gRPC\s+127\.0\.0\.1:(\d+)/.exec(output);
      if (!match) throw new Error('no banner yet');
      return match;
    },
    { timeout: 90_000, interval: 200 },
  );
  tree = descendants(npm.pid!);
  return { ports: [Number(banner[1]), Number(banner[2])], output: () => output };
}

/** npm's pid and those of every process below it (sh, node), read from /proc. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while listing
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i += 1) {
    for (const [pid, parent] of parents) if (parent === found[i]) found.push(pid);
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
      .once('connect', () => resolve(true))
      .once('error', () => resolve(false));
    socket.once('connect', () => socket.destroy());
  });

describe('npm start', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops the whole process tree and closes its ports on %s to npm',
    async (signal) => {
      const { ports, output } = await npmStart();
      expect(tree.length, 'npm and the server').toBeGreaterThan(1);

      npm!.kill(signal);
      await once(npm!, 'exit');

      expect(output()).toContain('shutting down');
      // Whatever the server started leaves with it.
      await vi.waitFor(() => expect(tree.filter(alive), output()).toEqual([]), { timeout: 10_000 });
      for (const port of ports) expect(await accepts(port), `port ${port}`).toBe(false);
    },
    150_000,
  );

  it('stops the server when npm itself is killed, instead of leaving it orphaned and listening', async () => {
    const { ports, output } = await npmStart();

    npm!.kill('SIGKILL');

    await vi.waitFor(() => expect(tree.filter(alive), output()).toEqual([]), { timeout: 30_000 });
    for (const port of ports) expect(await accepts(port), `port ${port}`).toBe(false);
  }, 150_000);
});
