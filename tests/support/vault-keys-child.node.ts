/**
 * For tests/security/key-copies.test.ts: a vault opened in its own process whose keys then live through the garbage
 * collections a loaded machine sets off at random (issue 15's failure: young-generation collections promote an
 * object to the old generation, full ones compact it, and the old generation's vacated memory is not cleared).
 *
 * Run as `node vault-keys-child.node.ts <dir>`. It creates a vault, rotates its key (so older keys come from the
 * header's history), locks, unlocks with the passphrase, derives every subkey, makes the gallery publishing key from
 * the seed a first session made (as publishing does), runs the collections, and prints the keys as one JSON line of hex (the
 * test's needles; hex text is not the bytes it spells). On the line `lock` from stdin it closes the session (as the
 * core's lock does) and runs the core's lock scrub, then prints `locked`.
 *
 * Run as `node --allow-natives-syntax vault-keys-child.node.ts <dir> where`, it prints instead, for each key, a line
 * `key: <name>` and V8's own description of the array that holds it (%DebugPrint), then exits: its `base_pointer`
 * is 0 exactly when the bytes live outside V8's heap, where no collection moves them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createInterface } from 'node:readline';
import { writeSync } from 'node:fs';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { createVault, headerRecoveryRecipient, rotateVaultKey, unlockVault } from '../../electron/core/vault/vault.node.ts';
import { subkeyIds, type SubkeyPurpose } from '../../electron/core/crypto/sodium.node.ts';
import { scrubAfterLock } from '../../electron/core/memory.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
setFlagsFromString('--no-expose-gc');

const PASS = 'key copies passphrase';
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

const storage = createSqliteStorage(openDb(process.argv[2]!, { create: true }));
const created = createVault(storage, PASS).vault;
rotateVaultKey(storage, created, headerRecoveryRecipient(storage)!);
// The first publish makes the gallery publishing key; its seed is kept in the settings document.
const first = new VaultSession(storage, created);
first.publishing.get(true);
first.close();
const vault = unlockVault(storage, PASS);
const held: [string, Uint8Array][] = [['kek', vault.passphraseWrap!.kek]];
for (const [generation, key] of vault.generations()) held.push([`vault key ${generation}`, key]);
for (const p of Object.keys(subkeyIds) as SubkeyPurpose[]) held.push([`${p} subkey`, vault.subkey(p)]);
held.push(['older localStore subkey', vault.localKey(0)]);
// The publishing key as every later session makes it: from the seed in the settings document.
const session = new VaultSession(storage, vault);
const publishing = session.publishing.get(false)!;
held.push(['publisher secret key', publishing.secretKey], ['publisher id key', publishing.idKey]);

if (process.argv[3] === 'where') {
  const debugPrint = new Function('x', '%DebugPrint(x)') as (x: unknown) => void;
  for (const [name, key] of held) {
    writeSync(1, `key: ${name}\n`);
    debugPrint(key);
  }
  process.exit(0);
}

const keys = Object.fromEntries(held.map(([name, key]) => [name, hex(key)]));
// Twice promoted (two young-generation collections), then two full collections: the order that, with a key kept
// in V8's heap, left its bytes where it had been.
for (const type of ['minor', 'minor', 'major', 'major'] as const) gc({ type });
process.stdout.write(`${JSON.stringify(keys)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'lock') return;
  // What the core's lock does: the session closes (publishing key zeroed, documents dropped, vault keys zeroed).
  session.close();
  scrubAfterLock();
  process.stdout.write('locked\n');
});
