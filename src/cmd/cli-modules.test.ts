import { build, type Metafile } from 'esbuild';
import { expect, it } from 'vitest';

/** Packages a process that opens databases, servers or job queues loads; the supervisor needs none. */
const HEAVY = ['pg', 'kysely', '@electric-sql/pglite', 'fastify', '@grpc/grpc-js', 'ioredis', 'typebox'];

/** The package an import names: `pino` of `pino/file`, `@grpc/grpc-js` of `@grpc/grpc-js/build/…`. */
const packageName = (path: string): string =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * The packages `entry` loads before it runs, following its static imports only (what a dynamic
 * `import()` brings is loaded when the command asks for it). Type-only imports are erased.
 */
async function staticPackages(entry: string): Promise<Set<string>> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = metafile.inputs;
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) packages.add(packageName(imported.path));
      else visit(imported.path);
    }
  };
  visit(entry);
  return packages;
}

it('loads none of the server’s modules in the primary that supervises several server processes', async () => {
  const cli = await staticPackages('src/cmd/cli.ts');
  // What it needs, it loads: the logger, and the configuration's key checks.
  expect(cli).toContain('pino');
  expect(cli).toContain('jose');
  for (const [entry, packages] of [
    ['cli.ts', cli],
    ['supervisor.ts', await staticPackages('src/cmd/supervisor.ts')],
  ] as const) {
    expect(
      [...packages].filter((name) => HEAVY.includes(name)),
      entry,
    ).toEqual([]);
  }
});
