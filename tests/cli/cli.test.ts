/**
 * The CLI as a user meets it: every spelling from the issue, the exit codes, --json on both streams, passphrases from
 * the environment and from stdin, and bad input that leaves the files exactly as they were.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { dbPath } from '../../electron/core/store/db.node.ts';
import { cliJson, cliJsonHere, runCli, runCliHere } from '../support/cli.node.ts';
import { listFiles, tempDir } from '../support/files.node.ts';

const PASS = 'cli test passphrase';
const env = { MINDSTAGE_PASSPHRASE: PASS };
let dir: string;
// Most calls run the program in this process (output and exit codes are what they test); the launcher, stdin and
// a few exit paths are checked in real processes below.
const ms = (...args: string[]) => runCliHere(['--data', dir, ...args], { env });
const json = <T>(...args: string[]) => cliJsonHere<T>(['--data', dir, ...args], env);

const snapshot = (folder: string) => Object.fromEntries(listFiles(folder).map((f) => [f, readFileSync(f).toString('base64')]));

beforeAll(() => {
  dir = tempDir('cli');
});

describe('mindstage CLI', () => {
  let recoveryKey = '';
  let character = '';

  it('init prints the recovery key once, as JSON with --json', async () => {
    // A real process through bin/mindstage: the launcher itself works.
    const out = cliJson<{ vaultId: string; recoveryKey: string }>(['--data', dir, 'init'], env);
    expect(out.vaultId).toMatch(/^[0-9a-f]{32}$/);
    expect(out.recoveryKey).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){12}$/);
    recoveryKey = out.recoveryKey;
    const again = await ms('init');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('creates, lists, shows, updates and deletes each record kind', async () => {
    character = (await ms('character', 'create', '--name', 'Aria', '--description', 'A bard', '--personality', 'merry', '--scenario', 'An inn', '--first-message', 'Welcome!', '--system-prompt', 'Be Aria')).stdout.trim();
    expect(character).toMatch(/^[0-9a-f]{32}$/);
    const persona = (await json<{ id: string }>('persona', 'create', '--name', 'Traveller', '--description', 'tired')).id;
    const scenario = (await json<{ id: string }>('scenario', 'create', '--title', 'Inn', '--setting', 'rain', '--character', character)).id;
    expect((await ms('character', 'list')).stdout).toContain('Aria');
    expect(await json<{ name: string; first_mes: string }>('character', 'show', character)).toMatchObject({ name: 'Aria', first_mes: 'Welcome!' });
    expect((await ms('character', 'update', character, '--personality', 'wistful')).code).toBe(0);
    expect(await json<{ personality: string; description: string }>('character', 'show', character)).toMatchObject({ personality: 'wistful', description: 'A bard' });
    expect((await json<{ characterIds: string[] }>('scenario', 'show', scenario)).characterIds).toEqual([character]);
    expect((await ms('scenario', 'update', scenario, '--title', 'Old Inn')).code).toBe(0);
    expect((await ms('scenario', 'list')).stdout).toContain('Old Inn');
    expect((await ms('persona', 'update', persona, '--description', 'rested')).code).toBe(0);
    expect((await ms('persona', 'show', persona)).stdout).toContain('rested');
    expect((await ms('persona', 'list')).stdout).toContain('Traveller');
    expect((await ms('persona', 'delete', persona)).code).toBe(0);
    expect((await ms('persona', 'show', persona)).code).toBe(6);
    expect((await ms('scenario', 'delete', scenario)).code).toBe(0);
  });

  it('conversations: create, add messages, show, list, search, delete', async () => {
    const conv = (await json<{ id: string }>('conversation', 'create', '--character', character, '--title', 'Evening')).id;
    expect((await ms('conversation', 'add-message', conv, '--role', 'user', '--text', 'A song, please')).code).toBe(0);
    expect((await ms('conversation', 'add-message', conv, '--role', 'character', '--text', 'Gladly!')).code).toBe(0);
    expect((await ms('conversation', 'add-message', conv, '--role', 'narrator', '--text', 'The fire crackles.')).code).toBe(0);
    const shown = (await ms('conversation', 'show', conv)).stdout;
    expect(shown).toMatch(/user: A song, please[\s\S]*character: Gladly![\s\S]*narrator: The fire crackles\./);
    expect((await ms('conversation', 'list')).stdout).toContain('Evening');
    const hits = await json<{ recordId: string; messageId?: string }[]>('search', 'crackles');
    expect(hits).toEqual([expect.objectContaining({ recordId: conv, messageId: expect.any(String) })]);
    expect((await ms('conversation', 'delete', conv)).code).toBe(0);
    expect((await ms('conversation', 'show', conv)).code).toBe(6);
  });

  it('reads the passphrase from one line of stdin when the variable is unset', async () => {
    const r = runCli(['--data', dir, 'character', 'list'], { env: { MINDSTAGE_PASSPHRASE: undefined }, input: `${PASS}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Aria');
  });

  it('exit codes: 2 usage, 3 wrong passphrase, 6 not found; --json errors are one JSON line on stderr', async () => {
    expect((await ms('character', 'frobnicate')).code).toBe(2);
    expect((await ms('conversation', 'add-message', character, '--role', 'wizard', '--text', 'x')).code).toBe(2);
    expect((await ms('character', 'show', 'not-an-id')).code).toBe(2);
    expect((await ms('character', 'update', character)).code).toBe(2);
    // A real process: the exit code and the single stderr line are what a script sees.
    const wrong = runCli(['--data', dir, '--json', 'character', 'list'], { env: { MINDSTAGE_PASSPHRASE: 'nope' } });
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toBe('');
    expect(JSON.parse(wrong.stderr)).toEqual({ error: { code: 'wrong_secret', message: 'Wrong passphrase.' } });
    const missing = await runCliHere(['--data', dir, '--json', 'character', 'show', '0'.repeat(32)], { env });
    expect(missing.code).toBe(6);
    expect(JSON.parse(missing.stderr).error.code).toBe('not_found');
    const usage = await runCliHere(['--data', dir, '--json', 'character', 'show'], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(usage.stderr).error.code).toBe('usage');
  });

  it('export → import into a fresh vault gives the same records, unknown card fields included', async () => {
    const file = join(tempDir('cli-export'), 'export.json');
    // Unknown card extension fields arrive through an import, as they would from another app.
    const withExtras = {
      format: 'mindstage-export',
      version: 1,
      exportedAt: new Date().toISOString(),
      characters: [{ id: 'ab'.repeat(16), createdAt: 1, updatedAt: 1, name: 'Odd', extensions: { 'some-app': { keep: ['me', 1, true] } }, card_extra: { top: { x_meta: 'kept' } } }],
    };
    writeFileSync(file, JSON.stringify(withExtras));
    expect((await json<{ imported: { characters: number } }>('import', file)).imported.characters).toBe(1);
    expect((await ms('export', '--out', file)).code).toBe(0);

    const other = tempDir('cli-import');
    const otherEnv = { MINDSTAGE_PASSPHRASE: 'other' };
    expect((await runCliHere(['--data', other, 'init'], { env: otherEnv })).code).toBe(0);
    expect((await cliJsonHere<{ imported: { characters: number } }>(['--data', other, 'import', file], otherEnv)).imported.characters).toBeGreaterThanOrEqual(2);
    for (const id of [character, 'ab'.repeat(16)]) {
      expect(await cliJsonHere(['--data', other, 'character', 'show', id], otherEnv)).toEqual(await json('character', 'show', id));
    }
    expect((await cliJsonHere<{ extensions: unknown }>(['--data', other, 'character', 'show', 'ab'.repeat(16)], otherEnv)).extensions).toEqual({ 'some-app': { keep: ['me', 1, true] } });
  });

  it('passphrase change and recovery', async () => {
    const change = await runCliHere(['--data', dir, 'passphrase', 'change'], { env: { ...env, MINDSTAGE_NEW_PASSPHRASE: 'second' } });
    expect(change.code, change.stderr).toBe(0);
    expect((await ms('character', 'list')).code).toBe(3);
    expect((await runCliHere(['--data', dir, 'character', 'list'], { env: { MINDSTAGE_PASSPHRASE: 'second' } })).code).toBe(0);
    const bad = await runCliHere(['--data', dir, 'recover', '--recovery-key', 'AAAA-BBBB'], { env: { MINDSTAGE_NEW_PASSPHRASE: 'third' } });
    expect(bad.code).toBe(3);
    const good = await runCliHere(['--data', dir, 'recover', '--recovery-key', recoveryKey], { env: { MINDSTAGE_NEW_PASSPHRASE: PASS } });
    expect(good.code, good.stderr).toBe(0);
    expect((await ms('character', 'list')).code).toBe(0);
  });

  it('bad input leaves every file byte-identical: oversized fields, malformed files, foreign or newer databases', async () => {
    const before = snapshot(dir);
    const huge = join(tempDir('cli-huge'), 'huge.json');
    writeFileSync(huge, JSON.stringify({ format: 'mindstage-export', version: 1, exportedAt: 'now', characters: [{ id: 'cd'.repeat(16), createdAt: 1, updatedAt: 1, name: 'Big', description: 'x'.repeat(1_000_001) }] }));
    expect((await ms('import', huge)).code).toBe(2);
    const notJson = join(tempDir('cli-bad'), 'bad.json');
    writeFileSync(notJson, '{ this is not json');
    const r = await ms('import', notJson);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect((await ms('character', 'create', '--name', 'x'.repeat(1001))).code).toBe(2);
    expect(snapshot(dir)).toEqual(before);

    // A file given as the data folder, a garbage vault file, a newer schema.
    const notDir = join(tempDir('cli-file'), 'file');
    writeFileSync(notDir, 'hello');
    const asFile = await runCliHere(['--data', notDir, 'character', 'list'], { env });
    expect([asFile.code, asFile.stderr]).toEqual([2, expect.stringMatching(/is a file, not a data folder/)]);
    const garbage = tempDir('cli-garbage');
    writeFileSync(dbPath(garbage), 'not a database '.repeat(1000));
    const g = await runCliHere(['--data', garbage, 'character', 'list'], { env });
    expect([g.code, g.stderr]).toEqual([2, expect.stringMatching(/not a Mindstage vault/)]);
    expect(readFileSync(dbPath(garbage), 'utf8').startsWith('not a database')).toBe(true);

    const newer = tempDir('cli-newer');
    mkdirSync(newer, { recursive: true });
    await runCliHere(['--data', dir, 'character', 'list'], { env }); // closes cleanly: WAL folded into the file
    copyFileSync(dbPath(dir), dbPath(newer));
    const db = new Database(dbPath(newer));
    db.pragma('user_version = 999');
    db.close();
    const newerBefore = snapshot(newer);
    const n = await runCliHere(['--data', newer, 'character', 'list'], { env });
    expect([n.code, n.stderr]).toEqual([1, expect.stringMatching(/newer Mindstage/)]);
    expect(snapshot(newer)).toEqual(newerBefore);
  });

  it('a tampered vault exits 4 and names the record', async () => {
    const db = new Database(dbPath(dir));
    const row = db.prepare('SELECT doc, seq, body FROM updates WHERE doc = ?').get(Buffer.from(character, 'hex')) as { doc: Buffer; seq: number; body: Buffer } | undefined;
    const target = row ?? (db.prepare('SELECT doc, seq, body FROM snapshots WHERE doc = ?').get(Buffer.from(character, 'hex')) as { doc: Buffer; seq: number; body: Buffer });
    target.body[target.body.length - 2]! ^= 0xff;
    db.prepare(row ? 'UPDATE updates SET body = ? WHERE doc = ? AND seq = ?' : 'UPDATE snapshots SET body = ? WHERE doc = ? AND seq = ?').run(target.body, target.doc, target.seq);
    db.close();
    const r = await ms('character', 'show', character);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(character);
    expect((await ms('character', 'list')).code).toBe(0);
  });
});
