import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/support/files.node.ts';
import { openCore } from '../core.node.ts';
import { deriveKek, type KdfParams } from '../crypto/sodium.node.ts';
import { dbPath } from '../store/db.node.ts';
import { decodeHeader } from '../vault/header.node.ts';
import { deriveKekAhead } from './kek-ahead.node.ts';
import { runCliHere } from '../../../tests/support/cli.node.ts';
import { runCli } from './program.node.ts';

const PASS = 'ahead passphrase';
let dir: string;
let kdf: KdfParams;

beforeAll(async () => {
  dir = tempDir('kek-ahead');
  const core = await openCore({ dataDir: dir });
  const created = await core.invoke('vault.create', { passphrase: PASS });
  expect(created.ok).toBe(true);
  await core.close();
  const db = new Database(dbPath(dir), { readonly: true });
  kdf = decodeHeader(db.prepare<[], { header: string }>('SELECT header FROM vault WHERE id = 1').get()!.header).kdf;
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI\'s Argon2id derived ahead, by Node\'s own Argon2id', () => {
  it('hands over, once, the key the core would derive — for that passphrase and the header\'s parameters only', async () => {
    const expected = Buffer.from(deriveKek(PASS, kdf));

    const right = deriveKekAhead(dir, PASS)!;
    await right.ready;
    expect(Buffer.from(right.take(PASS, kdf)!).equals(expected)).toBe(true);
    expect(right.take(PASS, kdf)).toBeNull();

    // Another passphrase, or parameters that are not the ones it was derived with (the header changed in between):
    // nothing, and the key is gone for good.
    const otherPass = deriveKekAhead(dir, PASS)!;
    await otherPass.ready;
    expect(otherPass.take('not the passphrase', kdf)).toBeNull();
    expect(otherPass.take(PASS, kdf)).toBeNull();
    const otherSalt = deriveKekAhead(dir, PASS)!;
    await otherSalt.ready;
    expect(otherSalt.take(PASS, { ...kdf, salt: new Uint8Array(16) })).toBeNull();
    expect(otherSalt.take(PASS, { ...kdf, opslimit: kdf.opslimit + 1 })).toBeNull();

    // Discarded before it was taken: nothing to take afterwards.
    const dropped = deriveKekAhead(dir, PASS)!;
    dropped.discard();
    await dropped.ready;
    expect(dropped.take(PASS, kdf)).toBeNull();
  });

  it('derives nothing for parameters the core would refuse (a tampered header must not start hours of work)', async () => {
    const copy = join(dir, 'tampered');
    mkdirSync(copy);
    copyFileSync(dbPath(dir), dbPath(copy));
    const db = new Database(dbPath(copy));
    const row = db.prepare<[], { header: string }>('SELECT header FROM vault WHERE id = 1').get()!;
    const header = JSON.parse(row.header) as { kdf: { opslimit: number } };
    header.kdf.opslimit = 10_000;
    db.prepare('UPDATE vault SET header = ? WHERE id = 1').run(JSON.stringify(header));
    db.close();
    const ahead = deriveKekAhead(copy, PASS)!;
    await ahead.ready;
    expect(ahead.take(PASS, { ...kdf, opslimit: 10_000 })).toBeNull();
  });

  it('does not start without a vault to read parameters from', () => {
    expect(deriveKekAhead(join(dir, 'nothing here'), PASS)).toBeNull();
  });

  it('a key handed to the CLI by its caller is asked for with the passphrase and the header\'s parameters, and one that does not open leaves the passphrase to decide', async () => {
    const asked: [string, KdfParams][] = [];
    const env = { MINDSTAGE_PASSPHRASE: PASS };
    // Captured by runCliHere's queue, so its stdout/stderr borrowing applies; the options are runCli's own.
    const list = (kekAhead: (p: string, k: KdfParams) => Uint8Array | null) =>
      runCliHere(['--data', dir, '--json', 'conversation', 'list'], { env, run: (args) => runCli(args, { kekAhead }) });
    const right = await list((p, k) => {
      asked.push([p, k]);
      return deriveKek(p, k);
    });
    expect(right.code).toBe(0);
    expect(asked).toHaveLength(1);
    expect(asked[0]![0]).toBe(PASS);
    expect(Buffer.from(asked[0]![1].salt).equals(Buffer.from(kdf.salt))).toBe(true);
    // A wrong key from the caller: the core derives from the passphrase itself and opens the vault.
    expect((await list(() => new Uint8Array(32).fill(7))).code).toBe(0);
    // A wrong passphrase stays wrong whatever the caller hands in.
    const wrong = await runCliHere(['--data', dir, '--json', 'conversation', 'list'], { env: { MINDSTAGE_PASSPHRASE: 'not it' }, run: (args) => runCli(args, { kekAhead: () => new Uint8Array(32).fill(7) }) });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/passphrase/i);
  });
});
