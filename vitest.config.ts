import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    // .scratch/ is each developer's git-ignored scratch space.
    exclude: ['node_modules/**', 'dist/**', 'dist-electron/**', '.scratch/**', 'release/**', '.stryker-tmp/**', 'reports/**'],
    // Argon2id (64 MiB, 3 passes), real SQLite files, real relay processes and Chromium: give them room,
    // but keep files in parallel low on this 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
