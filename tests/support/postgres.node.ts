/**
 * A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from /usr/lib/postgresql/<version>/bin in a temporary
 * folder, on a free loopback port, torn down (and deleted) afterwards. PostgreSQL refuses to run as root, so when
 * the tests run as root the cluster runs as the `postgres` system user (via runuser) in a folder it owns.
 *
 * When the binaries are missing: with CI=true this throws (the test fails, never skips); otherwise it returns a
 * reason to skip.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { freePort } from './net.node.ts';

export interface PgCluster {
  /** Connection URL of the `postgres` database (superuser `mindstage`, trust auth on loopback). */
  url: string;
  port: number;
  dataDir: string;
  /** Creates an empty database and returns its URL. */
  createDatabase: (name: string) => Promise<string>;
  /** Runs one query against a database URL and returns the rows. */
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values?: unknown[]) => Promise<R[]>;
  stop: () => Promise<void>;
}

export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why PostgreSQL tests cannot run here, or null when they can. Throws under CI=true instead of returning a reason. */
export function postgresUnavailable(): string | null {
  if (findPostgresBin()) return null;
  const why = 'PostgreSQL binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin; install the postgresql package.';
  if (process.env.CI === 'true') throw new Error(`${why} CI=true requires them, so this test fails instead of skipping.`);
  return why;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by postgres-shared.node.ts (mutation runs only): a cluster that outlives each test run. */
    mindstageSharedPostgres?: { url: string; port: number; dataDir: string };
  }
}

/** One statement on a connection of its own. */
export async function queryOnce<R extends pg.QueryResultRow>(target: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: target });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/**
 * The shared cluster of a mutation run, as a PgCluster of its own: databases get unique names (the cluster outlives
 * this run) and are dropped by stop(), which leaves the cluster running.
 */
function sharedCluster(shared: { url: string; port: number; dataDir: string }): PgCluster {
  const made: string[] = [];
  return {
    ...shared,
    query: queryOnce,
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const unique = `${name}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      await queryOnce(shared.url, `CREATE DATABASE ${unique}`);
      made.push(unique);
      return `postgres://mindstage@127.0.0.1:${shared.port}/${unique}`;
    },
    stop: async () => {
      for (const db of made.splice(0)) await queryOnce(shared.url, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
}

/** A throwaway cluster; under a mutation run, fresh databases of the run's shared cluster (postgres-shared.node.ts). */
export async function startPostgres(): Promise<PgCluster> {
  const shared = inject('mindstageSharedPostgres');
  return shared ? sharedCluster(shared) : startOwnPostgres();
}

export async function startOwnPostgres(): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailable() ?? 'PostgreSQL binaries missing');
  const root = mkdtempSync(join(tmpdir(), 'ms-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe', timeout: 240_000 })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe', timeout: 240_000 });
  const dataDir = join(root, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', dataDir, '-U', 'mindstage', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    run('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not start a throwaway PostgreSQL cluster: ${String(e)}\n${stderr}`, { cause: e });
  }
  const url = `postgres://mindstage@127.0.0.1:${port}/postgres`;
  const query = queryOnce;
  return {
    url,
    port,
    dataDir,
    query,
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await query(url, `CREATE DATABASE ${name}`);
      return `postgres://mindstage@127.0.0.1:${port}/${name}`;
    },
    stop: async () => {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Runs a storage suite on fresh databases of one throwaway cluster. Without PostgreSQL on a developer's machine the
 * suite is one skipped test that says what to install; under CI=true postgresUnavailable throws, so the file fails.
 */
export function postgresSuite(name: string, suite: (newDatabase: () => Promise<string>) => void): void {
  const why = postgresUnavailable();
  if (why) {
    describe(`${name}: postgres`, () => it.skip(`skipped: ${why}`, () => undefined));
    return;
  }
  let cluster: PgCluster | undefined;
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  suite(() => cluster!.createDatabase(`${name.toLowerCase().replace(/\W+/g, '_')}_${++n}`));
}
