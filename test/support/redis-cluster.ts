import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPortFree } from './ports.js';
import { runToExit } from './run.js';

/** A throw-away Redis Cluster of local masters (Debian's redis-server), for the cluster tests. */
export interface LocalRedisCluster {
  /** The seed nodes as REDIS_ADDR takes them: `127.0.0.1:<port>,…`. */
  addr: string;
  ports: number[];
  stop(): Promise<void>;
}

/** Cluster nodes talk to each other on their port + 10000, which must be free too. */
const BUS_PORT_OFFSET = 10_000;

/** `count` ports in 20000–39999 whose cluster bus ports are free as well. */
async function freeNodePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (ports.includes(port)) continue;
    if ((await isPortFree(port)) && (await isPortFree(port + BUS_PORT_OFFSET))) ports.push(port);
  }
  return ports;
}

/**
 * Starts `masters` redis-server processes in cluster mode (nothing kept on disk but their node
 * files, in a temporary directory), joins them with `redis-cli --cluster create` (no replicas), and
 * waits until every node reports the cluster ok.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'amss-redis-cluster-'));
  const ports = await freeNodePorts(masters);
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '5000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      nodes.map(async (node) => {
        if (node.exitCode !== null || node.signalCode !== null) return;
        node.kill('SIGTERM');
        await once(node, 'exit');
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports)
      await waitFor(
        () => cli(port, 'ping'),
        (out) => out.includes('PONG'),
      );
    const created = await runToExit('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.output}`);
    for (const port of ports) {
      await waitFor(
        () => cli(port, 'cluster', 'info'),
        (out) => out.includes('cluster_state:ok'),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { addr: ports.map((port) => `127.0.0.1:${port}`).join(','), ports, stop };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await runToExit('redis-cli', ['-p', String(port), ...args])).output;
}

async function waitFor(read: () => Promise<string>, done: (output: string) => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Redis Cluster did not come up: ${last}`);
}
