/**
 * Tampering with the vault file, the way an attacker with write access (or a bad disk) would: each change is
 * detected as an integrity error naming the record, and the records nobody touched still open. A conversation's
 * messages live in segment documents (docs/storage.md): tampering with a segment names its conversation.
 */
import { cpSync, mkdtempSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { dbPath, openDb } from '../../electron/core/store/db.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { segmentRef } from '../../electron/core/docs/conversations.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { unlockVault } from '../../electron/core/vault/vault.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { kekMemo } from '../support/kek-memo.node.ts';

const PASS = 'tamper test passphrase';

interface Fixture {
  dir: string;
  a: string;
  b: string;
  conv: string;
  /** Storage id of the segment holding the conversation's messages. */
  seg: Buffer;
}

/** The pristine vault every test starts from, made once per file; each test tampers with its own byte copy. */
let template: Fixture | undefined;
/** Argon2id once per file, not once per unlock (support/kek-memo.node.ts): these tests are about what unlock and load detect. */
const kek = kekMemo();

async function makeTemplate(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-tamper-'));
  const core = await openCore({ dataDir: dir });
  const call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const { id: a } = await call('character.create', { name: 'Alpha', description: 'first' });
  await call('character.update', { id: a, patch: { personality: 'calm' } });
  const { id: b } = await call('character.create', { name: 'Beta', description: 'second' });
  await call('character.update', { id: b, patch: { personality: 'bold' } });
  const { id: conv } = await call('conversation.create', { characterIds: [a], title: 'Talk' });
  for (let i = 0; i < 5; i++) await call('conversation.addMessage', { id: conv, role: 'user', text: `message ${i}` });
  await core.close();
  const db = openDb(dir, { create: false });
  const vault = unlockVault(createSqliteStorage(db), PASS, kek);
  const seg = Buffer.from(segmentRef(vault.subkey('idHash'), conv, 0).storageId);
  vault.lock();
  db.close();
  return { dir, a, b, conv, seg };
}

/** A fresh, untampered vault folder: a copy of the template (closed, its WAL folded in, so one file). */
async function makeVault(): Promise<Fixture> {
  template ??= await makeTemplate();
  const dir = mkdtempSync(join(tmpdir(), 'ms-tamper-'));
  cpSync(template.dir, dir, { recursive: true });
  return { ...template, dir };
}

async function withCore<T>(dir: string, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore({ dataDir: dir, kekAhead: kek });
  try {
    const r = await core.invoke('vault.unlock', { passphrase: PASS });
    if (!r.ok) throw new Error(`unlock failed: ${r.error.message}`);
    return await fn(core);
  } finally {
    await core.close();
  }
}

function sql(dir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(dbPath(dir));
  fn(db);
  db.close();
}

const idBytes = (hex: string) => Buffer.from(hex, 'hex');

/** Opens each record and reports which ones failed and how. */
async function outcomes(f: Fixture): Promise<Record<string, string>> {
  return withCore(f.dir, async (core) => {
    const out: Record<string, string> = {};
    for (const [name, r] of [
      ['a', await core.invoke('character.get', { id: f.a })],
      ['b', await core.invoke('character.get', { id: f.b })],
      ['conv', await core.invoke('conversation.get', { id: f.conv })],
    ] as const) {
      out[name] = r.ok ? 'ok' : `${r.error.code}:${r.error.recordId ?? ''}`;
    }
    return out;
  });
}

describe('tampering with the vault file', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeVault();
  });

  it('untampered, everything opens', async () => {
    expect(await outcomes(f)).toEqual({ a: 'ok', b: 'ok', conv: 'ok' });
  });

  it('a flipped byte in an update is an integrity error naming the record', async () => {
    sql(f.dir, (db) => {
      const row = db.prepare('SELECT seq, body FROM updates WHERE doc = ? ORDER BY seq LIMIT 1').get(idBytes(f.a)) as { seq: number; body: Buffer };
      row.body[row.body.length - 3]! ^= 0x01;
      db.prepare('UPDATE updates SET body = ? WHERE doc = ? AND seq = ?').run(row.body, idBytes(f.a), row.seq);
    });
    expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: 'ok', conv: 'ok' });
  });

  it('swapping two records\' blobs is detected for both', async () => {
    sql(f.dir, (db) => {
      const get = db.prepare('SELECT body FROM updates WHERE doc = ? AND seq = 1').pluck();
      const put = db.prepare('UPDATE updates SET body = ? WHERE doc = ? AND seq = 1');
      const ba = get.get(idBytes(f.a)) as Buffer;
      const bb = get.get(idBytes(f.b)) as Buffer;
      put.run(bb, idBytes(f.a));
      put.run(ba, idBytes(f.b));
    });
    expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: `integrity:${f.b}`, conv: 'ok' });
  });

  it('swapping two records\' heads is detected', async () => {
    sql(f.dir, (db) => {
      const get = db.prepare('SELECT head FROM docs WHERE id = ?').pluck();
      const put = db.prepare('UPDATE docs SET head = ? WHERE id = ?');
      const ha = get.get(idBytes(f.a)) as Buffer;
      put.run(get.get(idBytes(f.b)), idBytes(f.a));
      put.run(ha, idBytes(f.b));
    });
    expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: `integrity:${f.b}`, conv: 'ok' });
  });

  it('deleting a middle row, or the last row, is detected', async () => {
    sql(f.dir, (db) => db.prepare('DELETE FROM updates WHERE doc = ? AND seq = 2').run(f.seg));
    expect((await outcomes(f)).conv).toBe(`integrity:${f.conv}`);

    const g = await makeVault();
    sql(g.dir, (db) => db.prepare('DELETE FROM updates WHERE doc = ? AND seq = (SELECT max(seq) FROM updates WHERE doc = ?)').run(g.seg, g.seg));
    expect(await outcomes(g)).toEqual({ a: 'ok', b: 'ok', conv: `integrity:${g.conv}` });

    const h = await makeVault();
    sql(h.dir, (db) => db.prepare('DELETE FROM updates WHERE doc = ? AND seq = (SELECT max(seq) FROM updates WHERE doc = ?)').run(idBytes(h.conv), idBytes(h.conv)));
    expect(await outcomes(h)).toEqual({ a: 'ok', b: 'ok', conv: `integrity:${h.conv}` });
  });

  it('replaying a row, as an extra row or in place of another, is detected', async () => {
    sql(f.dir, (db) => {
      const body = db.prepare('SELECT body FROM updates WHERE doc = ? AND seq = 2').pluck().get(idBytes(f.conv));
      const max = db.prepare('SELECT max(seq) FROM updates WHERE doc = ?').pluck().get(idBytes(f.conv)) as number;
      db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, ?, ?)').run(idBytes(f.conv), max + 1, body);
    });
    expect((await outcomes(f)).conv).toBe(`integrity:${f.conv}`);

    const g = await makeVault();
    sql(g.dir, (db) => {
      const body = db.prepare('SELECT body FROM updates WHERE doc = ? AND seq = 2').pluck().get(g.seg);
      db.prepare('UPDATE updates SET body = ? WHERE doc = ? AND seq = 3').run(body, g.seg);
    });
    expect(await outcomes(g)).toEqual({ a: 'ok', b: 'ok', conv: `integrity:${g.conv}` });
  });

  it('deleting a record\'s head, or all of its rows, is detected', async () => {
    sql(f.dir, (db) => db.prepare('DELETE FROM docs WHERE id = ?').run(idBytes(f.a)));
    sql(f.dir, (db) => {
      db.prepare('DELETE FROM docs WHERE id = ?').run(idBytes(f.b));
      db.prepare('DELETE FROM updates WHERE doc = ?').run(idBytes(f.b));
    });
    expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: `integrity:${f.b}`, conv: 'ok' });
  });

  it('deleting every row of a conversation\'s segment is detected, naming the conversation', async () => {
    sql(f.dir, (db) => {
      db.prepare('DELETE FROM docs WHERE id = ?').run(f.seg);
      db.prepare('DELETE FROM updates WHERE doc = ?').run(f.seg);
    });
    expect(await outcomes(f)).toEqual({ a: 'ok', b: 'ok', conv: `integrity:${f.conv}` });
  });

  it('deleting the catalog makes unlock fail with an integrity error', async () => {
    sql(f.dir, (db) => {
      const known = [f.a, f.b, f.conv, f.seg.toString('hex')];
      for (const id of db.prepare('SELECT id FROM docs').pluck().all() as Buffer[]) {
        if (known.includes(id.toString('hex'))) continue;
        db.prepare('DELETE FROM docs WHERE id = ?').run(id);
        db.prepare('DELETE FROM updates WHERE doc = ?').run(id);
      }
    });
    const core = await openCore({ dataDir: f.dir, kekAhead: kek });
    const r = await core.invoke('vault.unlock', { passphrase: PASS });
    await core.close();
    expect(r.ok ? 'ok' : r.error.code).toBe('integrity');
  });

  it('a truncated file gives integrity errors, never a crash or a silent success', async () => {
    const file = dbPath(f.dir);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const core = await openCore({ dataDir: f.dir, kekAhead: kek });
    try {
      const codes: string[] = [];
      const unlock = await core.invoke('vault.unlock', { passphrase: PASS });
      codes.push(unlock.ok ? 'ok' : unlock.error.code);
      if (unlock.ok) {
        for (const r of [await core.invoke('character.get', { id: f.a }), await core.invoke('conversation.get', { id: f.conv })]) {
          codes.push(r.ok ? 'ok' : r.error.code);
        }
      }
      expect(codes).toContain('integrity');
      expect(codes.every((c) => c === 'ok' || c === 'integrity')).toBe(true);
    } finally {
      await core.close().catch(() => {});
    }
  });

  describe('after compaction (the snapshot row holds what the update rows held)', () => {
    /** Compacts the three records (as the repo does after COMPACT_EVERY updates) through the real store. */
    function compact(dir: string): void {
      const db = openDb(dir, { create: false });
      try {
        const storage = createSqliteStorage(db);
        const session = new VaultSession(storage, unlockVault(storage, PASS, kek));
        for (const [id, kind] of [[f.a, 'character'], [f.b, 'character'], [f.conv, 'conversation']] as const) session.repo.compact(recordRef(id, kind));
      } finally {
        db.close();
      }
    }
    const snapshotCount = (dir: string) => {
      let n = 0;
      sql(dir, (db) => void (n = db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number));
      return n;
    };
    beforeEach(() => {
      compact(f.dir);
      expect(snapshotCount(f.dir)).toBe(3);
    });

    it('a compacted record reopens with every message and field', async () => {
      const got = await withCore(f.dir, async (core) => {
        const conv = await core.invoke('conversation.get', { id: f.conv });
        const a = await core.invoke('character.get', { id: f.a });
        return { conv: conv.ok ? conv.value : conv.error, a: a.ok ? a.value : a.error };
      });
      const texts = JSON.stringify(got.conv);
      for (let i = 0; i < 5; i++) expect(texts).toContain(`message ${i}`);
      expect(got.a).toMatchObject({ name: 'Alpha', description: 'first', personality: 'calm' });
      sql(f.dir, (db) => expect(db.prepare('SELECT count(*) FROM updates WHERE doc = ?').pluck().get(idBytes(f.conv))).toBe(0));
    });

    it('a missing snapshot row, a flipped byte in one, or one moved to another place in its record: each an integrity error naming the record', async () => {
      sql(f.dir, (db) => {
        db.prepare('DELETE FROM snapshots WHERE doc = ?').run(idBytes(f.a));
        const body = db.prepare('SELECT body FROM snapshots WHERE doc = ?').pluck().get(idBytes(f.b)) as Buffer;
        body[body.length - 3]! ^= 0x01;
        db.prepare('UPDATE snapshots SET body = ? WHERE doc = ?').run(body, idBytes(f.b));
        // The conversation's snapshot stays its own, but claims another sequence number than its head names.
        db.prepare('UPDATE snapshots SET seq = seq - 1 WHERE doc = ?').run(idBytes(f.conv));
      });
      expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: `integrity:${f.b}`, conv: `integrity:${f.conv}` });
    });

    it('snapshots swapped between records are detected for both', async () => {
      sql(f.dir, (db) => {
        const get = db.prepare('SELECT body FROM snapshots WHERE doc = ?').pluck();
        const put = db.prepare('UPDATE snapshots SET body = ? WHERE doc = ?');
        const sa = get.get(idBytes(f.a)) as Buffer;
        put.run(get.get(idBytes(f.b)), idBytes(f.a));
        put.run(sa, idBytes(f.b));
      });
      expect(await outcomes(f)).toEqual({ a: `integrity:${f.a}`, b: `integrity:${f.b}`, conv: 'ok' });
    });
  });
});
