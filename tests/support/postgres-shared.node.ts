/**
 * Vitest global setup for mutation runs (vitest.stryker.config.ts): one throwaway PostgreSQL cluster per Stryker
 * worker, kept for all its runs. Stryker reruns the covering tests once per mutant; starting a cluster in each run
 * (initdb + pg_ctl) cost more than the tests themselves. startPostgres() then hands out fresh databases of this
 * cluster and drops them afterwards instead of starting and stopping its own.
 */
import type { TestProject } from 'vitest/node';
import { postgresUnavailable, startOwnPostgres } from './postgres.node.ts';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (postgresUnavailable()) return undefined;
  const cluster = await startOwnPostgres();
  project.provide('mindstageSharedPostgres', { url: cluster.url, port: cluster.port, dataDir: cluster.dataDir });
  return () => cluster.stop();
}
