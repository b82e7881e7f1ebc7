import { defineConfig } from 'vitest/config';

// .scratch/ is each developer's git-ignored scratch space.
const exclude = ['node_modules/**', 'dist/**', 'dist-electron/**', '.scratch/**', 'release/**', '.stryker-tmp/**', 'reports/**'];
// Unit tests beside the code: pure modules, and cores on temporary folders in the test's own process, with no module
// mocks. They share worker processes between files (isolate: false) instead of starting a process per file, which
// saves each file ~0.25 s of process start and module loading. Files under tests/ start child processes, servers
// and Chromium and change process-wide state, so each keeps a process of its own, as do the unit files below.
const unit = ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx'];
// folder-lock mocks node:fs; tokens.test checks that the Llama 3 and Mistral tokenizers count with the estimate until
// first loaded, which a file before it in a shared worker may have done.
const ownProcess = ['electron/core/store/folder-lock.test.ts', 'electron/core/chat/tokens.test.ts'];

export default defineConfig({
  test: {
    exclude,
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
    projects: [
      // Each project's global setup gives its run a temporary folder (nested when both run), removed at the end.
      { extends: true, test: { name: 'unit', include: unit, exclude: [...exclude, ...ownProcess], isolate: false, globalSetup: ['tests/support/run-temp.node.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts', ...ownProcess],
          // One temporary folder for the run, removed at its end; one renderer build per run, made by the first
          // browser test that needs it (e2e/support/renderer-build.node.ts).
          globalSetup: ['tests/support/run-temp.node.ts', 'tests/support/renderer-cache.node.ts'],
        },
      },
    ],
  },
});
