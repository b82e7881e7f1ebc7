/**
 * Vitest global setup for mutation runs (vitest.stryker.config.ts): one throwaway PostgreSQL cluster per Stryker
 * worker, kept for all its runs. Stryker reruns the covering tests once per mutant; starting a cluster in each run
 * (initdb + pg_ctl) cost more than the tests themselves. startPostgres() then hands out fresh databases of this
 * cluster and drops them afterwards instead of starting and stopping its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findPostgresBin, postgresUnavailable, startOwnPostgres } from './postgres.node.ts';
import { processAlive as alive } from '../../electron/core/store/folder-lock.node.ts';

const OWNER = 'mutation-owner.pid';

/**
 * Stryker kills a worker whose mutant hangs, so its teardown never runs and its cluster stays up: each new worker
 * stops the clusters of workers that are gone (only clusters this file started, marked with their owner's pid).
 */
function reapOrphans(): void {
  const bin = findPostgresBin();
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith('ms-pg-'))) {
    const root = join(tmpdir(), name);
    const owner = join(root, OWNER);
    if (!existsSync(owner) || alive(Number(readFileSync(owner, 'utf8')))) continue;
    try {
      const args = ['-D', join(root, 'data'), '-m', 'immediate', '-w', 'stop'];
      if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', join(bin!, 'pg_ctl'), ...args], { stdio: 'pipe' });
      else execFileSync(join(bin!, 'pg_ctl'), args, { stdio: 'pipe' });
    } catch {
      // Already stopped.
    }
    rmSync(root, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (postgresUnavailable()) return undefined;
  reapOrphans();
  const cluster = await startOwnPostgres();
  writeFileSync(join(dirname(cluster.dataDir), OWNER), String(process.pid));
  project.provide('mindstageSharedPostgres', { url: cluster.url, port: cluster.port, dataDir: cluster.dataDir });
  return () => cluster.stop();
}
