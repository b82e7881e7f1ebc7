// Mutation testing (StrykerJS). Run it through `npm run mutation` (scripts/mutation.ts), which picks the module to
// mutate, the test files that cover it (MUTATION_TESTS, read by vitest.stryker.config.ts) and the module's own
// incremental file. What it measures and the scores: docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false, pool: 'forks' },
  // Each mutant runs only the tests that executed its code in the initial run.
  coverageAnalysis: 'perTest',
  // Two cores, shared: more workers only queue.
  concurrency: 2,
  // Unchanged mutants whose covering tests are unchanged keep their last result; per-module file (set by the script).
  incremental: true,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'dist-electron', 'release', 'test-output', 'bench-results', 'reports', '.scratch', 'coverage'],
};
