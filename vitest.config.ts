import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    // .scratch/ is each developer's git-ignored scratch space.
    exclude: ['node_modules/**', 'dist/**', 'dist-electron/**', '.scratch/**', 'release/**', '.stryker-tmp/**', 'reports/**'],
    // Argon2id (64 MiB, 3 passes), real SQLite files, real relay processes and Chromium, on a 2-core machine that
    // others share. Timeouts are there to end a hung test, not to time one: they leave several times the slowest
    // run seen under load (`npm test` at load ~20 took 3 minutes for the longest single test), and no test sets a
    // shorter one of its own. Durations are measured in `npm run bench`, never asserted here.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // expect.poll waits for something to happen; its default of 1 s is a timing assertion on a loaded machine.
    expect: { poll: { timeout: 30_000 } },
    maxWorkers: 2,
    pool: 'forks',
    // One renderer build per run, made by the first browser test that needs it (e2e/support/renderer-build.node.ts).
    globalSetup: ['tests/support/renderer-cache.node.ts'],
  },
});
