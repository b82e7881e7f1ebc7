/**
 * Whole-record rollback: a record's rows (head, snapshot, updates) replaced by an older copy of themselves. Every
 * per-document check passes such a copy; the record manifest (electron/core/docs/manifest.node.ts) does not. Real
 * vault files, changed with SQL the way someone with write access would, read back through the real CLI.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { dbPath } from '../../electron/core/store/db.node.ts';
import { runCliHere } from '../support/cli.node.ts';

const PASS = 'rollback test passphrase';

interface Rows {
  docs: unknown[];
  updates: unknown[];
  snapshots: unknown[];
  manifest: unknown[];
}

function withDb<T>(dir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath(dir));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every row of one document (and its manifest row). */
function rowsOf(dir: string, id: string): Rows {
  const doc = Buffer.from(id, 'hex');
  return withDb(dir, (db) => ({
    docs: db.prepare('SELECT * FROM docs WHERE id = ?').all(doc),
    updates: db.prepare('SELECT * FROM updates WHERE doc = ?').all(doc),
    snapshots: db.prepare('SELECT * FROM snapshots WHERE doc = ?').all(doc),
    manifest: db.prepare('SELECT * FROM manifest WHERE doc = ?').all(doc),
  }));
}

/** Replaces the document's rows with `rows` (an older copy); with `manifestToo`, its manifest row as well. */
function restore(dir: string, id: string, rows: Rows, manifestToo: boolean): void {
  const doc = Buffer.from(id, 'hex');
  withDb(dir, (db) =>
    db.transaction(() => {
      db.prepare('DELETE FROM docs WHERE id = ?').run(doc);
      db.prepare('DELETE FROM updates WHERE doc = ?').run(doc);
      db.prepare('DELETE FROM snapshots WHERE doc = ?').run(doc);
      for (const r of rows.docs) db.prepare('INSERT INTO docs VALUES (@id, @head)').run(r);
      for (const r of rows.updates) db.prepare('INSERT INTO updates VALUES (@doc, @seq, @body)').run(r);
      for (const r of rows.snapshots) db.prepare('INSERT INTO snapshots VALUES (@doc, @seq, @body)').run(r);
      if (manifestToo) {
        db.prepare('DELETE FROM manifest WHERE doc = ?').run(doc);
        for (const r of rows.manifest) db.prepare('INSERT INTO manifest VALUES (@doc, @seq)').run(r);
      }
    })(),
  );
}

const ms = (dir: string, ...args: string[]) => runCliHere(['--data', dir, ...args], { env: { MINDSTAGE_PASSPHRASE: PASS } });

/** A vault whose record `a` has an older copy (`old`) and a later version; made once per file (two Argon2id runs). */
interface Template {
  dir: string;
  a: string;
  b: string;
  old: Rows;
}
let template: Template | undefined;

async function makeTemplate(): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-rollback-'));
  const core = await openCore({ dataDir: dir });
  const call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const a = (await call('character.create', { name: 'Alpha', description: 'version one' })).id;
  const b = (await call('character.create', { name: 'Beta', description: 'untouched' })).id;
  await core.close();
  const old = rowsOf(dir, a);
  const again = await openCore({ dataDir: dir });
  const call2 = callFor(again);
  await call2('vault.unlock', { passphrase: PASS });
  await call2('character.update', { id: a, patch: { description: 'version two' } });
  await call2('character.update', { id: b, patch: { personality: 'changed later' } });
  await again.close();
  return { dir, a, b, old };
}

describe('rolling one whole record back to an older copy of itself', () => {
  let dir: string;
  let a: string;
  let b: string;
  let old: Rows;

  // Each test rolls back its own byte copy of the template's folder (closed, so one file).
  beforeEach(async () => {
    template ??= await makeTemplate();
    ({ a, b, old } = template);
    dir = mkdtempSync(join(tmpdir(), 'ms-rollback-'));
    cpSync(template.dir, dir, { recursive: true });
  });

  it('untouched, both records open at their latest version', async () => {
    expect(JSON.parse((await ms(dir, '--json', 'character', 'show', a)).stdout)).toMatchObject({ description: 'version two' });
  });

  it('the record\'s rows alone: opening it exits 4 naming it, the other record still opens', async () => {
    restore(dir, a, old, false);
    const r = await ms(dir, 'character', 'show', a);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(a);
    expect(r.stderr).toMatch(/older copy/);
    expect(r.stdout).not.toContain('version one');
    expect((await ms(dir, 'character', 'show', b)).code).toBe(0);
  });

  it('its manifest row rolled back with it: the vault refuses to open (exit 4), changing nothing', async () => {
    restore(dir, a, old, true);
    const before = withDb(dir, (db) => db.prepare('SELECT count(*) AS n, sum(seq) AS s FROM manifest').get());
    const r = await ms(dir, 'character', 'list');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/record manifest does not match/);
    expect(withDb(dir, (db) => db.prepare('SELECT count(*) AS n, sum(seq) AS s FROM manifest').get())).toEqual(before);
  });

  it('the manifest emptied to pass for a vault from before it: refused, since the catalog carries the mark', async () => {
    restore(dir, a, old, true);
    withDb(dir, (db) => db.exec('DELETE FROM manifest; DELETE FROM manifest_sum;'));
    const r = await ms(dir, 'character', 'list');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/record manifest/);
  });
});

describe('a vault from before the manifest', () => {
  const fixture = join(import.meta.dirname, '../fixtures/legacy-vault');
  const { passphrase, character } = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { passphrase: string; character: string };

  it('gets a manifest on its first unlock, after which a rolled-back record is caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-rollback-legacy-'));
    cpSync(join(fixture, 'vault'), dir, { recursive: true });
    const cli = (...args: string[]) => runCliHere(['--data', dir, ...args], { env: { MINDSTAGE_PASSPHRASE: passphrase } });
    expect((await cli('character', 'show', character)).code).toBe(0);
    const listed = withDb(dir, (db) => db.prepare('SELECT count(*) FROM manifest').pluck().get() as number);
    const stored = withDb(dir, (db) => db.prepare('SELECT count(*) FROM (SELECT doc FROM updates UNION SELECT doc FROM snapshots)').pluck().get() as number);
    expect(listed).toBe(stored);
    const old = rowsOf(dir, character);
    expect((await cli('character', 'update', character, '--personality', 'changed after the upgrade')).code).toBe(0);
    restore(dir, character, old, false);
    const r = await cli('character', 'show', character);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/older copy/);
  });
});

