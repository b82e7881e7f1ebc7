/**
 * The vitest configuration Stryker runs (stryker.config.json): the project's own, limited to the test files that
 * cover the module being mutated (MUTATION_TESTS, set by scripts/mutation.ts), so a run costs minutes, not hours.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

const tests = (process.env['MUTATION_TESTS'] ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('MUTATION_TESTS is empty: run mutation testing with `npm run mutation`.');

// Tests that start PostgreSQL share one cluster per Stryker worker (tests/support/postgres-shared.node.ts).
const postgres = tests.some((t) => /^tests\/relay\/(storage|postgres-storage|fanout|gallery-storage)\.test\.ts$/.test(t));

// One project of the listed files, each in a process of its own (Stryker's runs must not share module state), with
// the integration project's renderer build.
const { projects: _projects, ...root } = base.test ?? {};
const globalSetup = ['tests/support/renderer-cache.node.ts'];
export default defineConfig({ test: { ...root, include: tests, globalSetup: postgres ? [...globalSetup, 'tests/support/postgres-shared.node.ts'] : globalSetup } });
