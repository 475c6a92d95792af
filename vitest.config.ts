import { defineConfig } from 'vitest/config';

/** The files that start `amss` or `npm` as child processes: each keeps both cores busy on its own. */
const PROCESS_TESTS = 'test/cli/**/*.test.ts';
/**
 * Files that must load the application's modules afresh: the schema tests check how a violation is
 * translated before any repository module has registered its own messages for it.
 */
const FRESH_MODULE_TESTS = ['test/schema/checks.test.ts', 'test/schema/tenancy.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    // Each file gets its own database cloned from a migrated template, so files run in parallel.
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: a single worker on a 2-core machine, where much
    // of a file's time is spent waiting on PostgreSQL, Redis or a child process.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [PROCESS_TESTS, ...FRESH_MODULE_TESTS],
          // A worker keeps the modules it loaded from one file to the next: loading the application
          // again for each of 160 files was a third of the suite's time. Each file still has its own
          // database, Redis key prefix and app; what the modules hold themselves (the metrics registry,
          // the constraint messages repositories register) is what a running server holds too.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'fresh-modules', include: FRESH_MODULE_TESTS, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          include: [PROCESS_TESTS],
          // One at a time, after the rest: two of them side by side starve each other's child processes.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
