import cluster from 'node:cluster';
import { generateDevKeyPair } from '../auth/keys.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import { onShutdown } from './shutdown.js';

/**
 * SERVER_PROCESSES > 1: this process only runs that many server processes, which share its port
 * (node:cluster), replaces one that dies after it was serving, and stops them all on SIGTERM/SIGINT.
 * Without configured JWT keys it generates one ephemeral pair for all of them, so a token that one
 * process issued is accepted by the others.
 */
export async function superviseServers(config: Config, logger: Logger): Promise<void> {
  const env: Record<string, string> = {};
  if (config.jwt.privateKeyPem === undefined) {
    logger.warn(
      'JWT_PRIVATE_KEY_PEM is not set: the server processes share an ephemeral key pair (tokens die with them)',
    );
    const keys = await generateDevKeyPair();
    env.JWT_PRIVATE_KEY_PEM = keys.privatePem;
    env.JWT_PUBLIC_KEY_PEM = keys.publicPem;
  }
  let stopping = false;
  const start = () => {
    const worker = cluster.fork(env);
    let served = false;
    worker.once('listening', () => (served = true));
    worker.once('exit', (code, signal) => {
      // A clean exit is a stop that reached the worker directly (Ctrl-C signals the whole group).
      if (stopping || code === 0) return;
      // One that never came up (bad config, database unreachable) would only fail again.
      if (!served) {
        logger.error({ pid: worker.process.pid, code, signal }, 'a server process failed to start');
        process.exit(1);
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'a server process exited; starting another');
      start();
    });
  };
  for (let i = 0; i < config.serverProcesses; i += 1) start();
  onShutdown(logger, async () => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((worker) => worker && !worker.isDead());
    await Promise.all(
      running.map(
        (worker) =>
          new Promise((resolve) => {
            worker!.once('exit', resolve);
            worker!.process.kill('SIGTERM');
          }),
      ),
    );
  });
}
