import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The console's end-to-end journeys (`npm run test:e2e`): one `amss dev --in-memory` for the run
// (global-setup.ts), driven by Debian's Chromium through playwright-core, one file at a time.
export default defineConfig({
  test: {
    root: path.resolve(import.meta.dirname, '../..'),
    include: ['web/e2e/**/*.e2e.ts'],
    globalSetup: ['web/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // A page waits on the API, and the API on the embedded database, which shares a slow two-core
    // machine with Chromium: a list can take seconds to appear (1 s, Vitest's default, missed the
    // directives list on such a machine). A wait, not a timing requirement.
    expect: { poll: { timeout: 10_000, interval: 100 } },
  },
});
