import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs a command in the checkout to completion; returns its exit code and its stdout and stderr
 * together. `env` adds to this process's environment; `undefined` unsets a variable.
 */
export async function runToExit(
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; output: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, output };
}
