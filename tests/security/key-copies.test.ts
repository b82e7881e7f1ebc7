/**
 * Zeroing a key on lock leaves no copy of it anywhere in the process (issue 15), whatever garbage collections ran
 * while it was in use. The failure this pins down: libsodium.js returned keys as small Uint8Arrays that V8 keeps
 * inside its heap and moves; the old generation's vacated memory is not cleared, so on a loaded machine (more
 * collections while the vault was open) the key-encryption key and subkeys were found after lock.
 *
 * "where keys live" is the deterministic check: it asks V8 where each key's bytes are, and failed for the key-
 * encryption key, the history's vault key and every subkey before the fix (and for the gallery publishing key's
 * secret key and id key while libsodium.js made them). The scan after forced collections is the
 * end-to-end claim; the collections alone did not reproduce the stray copy every time (it depends on which pages
 * V8 compacts), which is why the first check exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.node.ts';
import { scanProcess } from '../support/proc-mem.node.ts';
import { HARDENED_MALLOC_ENV } from '../../electron/core/malloc-env.std.ts';
import { subkeyIds } from '../../electron/core/crypto/sodium.node.ts';

const childPath = fileURLToPath(new URL('../support/vault-keys-child.node.ts', import.meta.url));
const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', childPath, tempDir('key-copies')], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, ...HARDENED_MALLOC_ENV },
});
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value as string;

afterAll(() => {
  child.stdin.end();
});

describe('where keys live', () => {
  it('every key the vault holds is outside V8\'s heap, where the garbage collector never moves it', () => {
    // V8's own account of each array (tests/support/vault-keys-child.node.ts, "where"): a Uint8Array of up to 64
    // bytes made the ordinary way keeps its bytes inside the heap (base_pointer ≠ 0), and each collection that moves
    // it leaves them behind. This fails at once if any path hands the vault such a key again.
    // Into a file, not a pipe: the child's synchronous writes to a full pipe fail with EAGAIN.
    const dir = tempDir('key-where');
    const outPath = join(dir, 'where.txt');
    const out = openSync(outPath, 'w');
    const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--disable-warning=ExperimentalWarning', childPath, dir, 'where'], {
      stdio: ['ignore', out, 'pipe'],
      encoding: 'utf8',
      timeout: 240_000,
    });
    closeSync(out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const sections = readFileSync(outPath, 'utf8').split(/^key: /m).slice(1);
    expect(sections).toHaveLength(1 + 2 + Object.keys(subkeyIds).length + 1 + 2);
    const onHeap = sections.filter((s) => !/^\s+- base_pointer: 0$/m.test(s)).map((s) => s.split('\n')[0]);
    expect(onHeap).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('key copies after lock, whatever the garbage collector did', () => {
  let needles: Record<string, Uint8Array> = {};

  it('while the vault is open, the scan finds every key (control)', async () => {
    const keys = JSON.parse(await nextLine()) as Record<string, string>;
    needles = Object.fromEntries(Object.entries(keys).map(([name, hex]) => [name, Buffer.from(hex, 'hex')]));
    // The KEK, two generations of vault key, every subkey, the older generation's at-rest key, and the gallery
    // publishing key's secret key and id key.
    expect(Object.keys(needles)).toHaveLength(1 + 2 + Object.keys(subkeyIds).length + 1 + 2);
    // The publishing seed on its own (an Ed25519 secret key is seed ‖ public key), as bytes and as the base64 text
    // the settings document keeps: a decode through Node's Buffer pool left the bytes there, outside any key.
    const seed = needles['publisher secret key']!.subarray(0, 32);
    needles['publisher seed'] = seed;
    needles['publisher seed (base64 text)'] = Buffer.from(Buffer.from(seed).toString('base64'), 'latin1');
    const found = new Set(scanProcess(child.pid!, needles).map((h) => h.needle));
    expect([...found].sort()).toEqual(Object.keys(needles).sort());
  });

  it('after lock, no copy of any of them is left', async () => {
    child.stdin.write('lock\n');
    expect(await nextLine()).toBe('locked');
    expect(scanProcess(child.pid!, needles)).toEqual([]);
  });
});
