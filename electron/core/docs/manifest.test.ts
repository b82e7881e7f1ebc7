// The record manifest on its own, with a real vault key (no passphrase KDF) and the memory storage: rows and the
// sealed sum moving together, every way they can disagree, sums sealed under older vault-key generations, and the
// one-time build for vaults written before the manifest. Through the whole app: tests/core/rollback.test.ts.
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../tests/support/refusal.node.ts';
import { aeadSeal, randomBytes } from '../crypto/sodium.node.ts';
import { createMemoryStorage } from '../store/storage.node.ts';
import { UnlockedVault } from '../vault/vault.node.ts';
import { checkManifest, MANIFEST_ALTERED, moveManifest } from './manifest.node.ts';

const id = randomBytes(16);
const k0 = randomBytes(32);
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const vault = (keys: Array<[number, Uint8Array]> = [[0, k0]]) => new UnlockedVault(id, new Map(keys.map(([g, k]) => [g, k.slice()])));
const never = () => false;

function altered(run: () => unknown): void {
  expect(refusal(run)).toMatchObject({ code: 'integrity', message: MANIFEST_ALTERED });
}

describe('the record manifest', () => {
  it('an empty vault checks, and each move keeps rows and sum in step', () => {
    const storage = createMemoryStorage();
    const v = vault();
    expect(checkManifest(storage, v, never)).toBe('ok');
    const [a, b] = [randomBytes(16), randomBytes(16)];
    moveManifest(storage, v, a, 0, 1);
    moveManifest(storage, v, b, 0, 3);
    moveManifest(storage, v, a, 1, 2);
    expect([storage.manifestSeq(a), storage.manifestSeq(b)]).toEqual([2, 3]);
    expect(checkManifest(storage, v, never)).toBe('ok');
    moveManifest(storage, v, b, 3, 0);
    expect(storage.manifestSeq(b)).toBeNull();
    expect(storage.manifestEntries()).toHaveLength(1);
    expect(checkManifest(storage, v, never)).toBe('ok');
  });

  it('a move to the same place writes nothing', () => {
    const storage = createMemoryStorage();
    const v = vault();
    const a = randomBytes(16);
    moveManifest(storage, v, a, 0, 4);
    const sum = storage.readManifestSum();
    moveManifest(storage, v, a, 4, 4);
    expect(storage.readManifestSum()).toBe(sum);
  });

  it('refuses a row rolled back, removed or added, a sum replaced or missing, and a sum of the wrong length', () => {
    const setup = () => {
      const storage = createMemoryStorage();
      const v = vault();
      const a = randomBytes(16);
      moveManifest(storage, v, a, 0, 1);
      moveManifest(storage, v, a, 1, 2);
      return { storage, v, a };
    };
    let s = setup();
    s.storage.setManifestSeq(s.a, 1);
    altered(() => checkManifest(s.storage, s.v, never));
    s = setup();
    s.storage.setManifestSeq(s.a, null);
    s.storage.appendUpdate(s.a, 1, new Uint8Array(1), new Uint8Array(1)); // a document left without its row
    altered(() => checkManifest(s.storage, s.v, () => true));
    s = setup();
    s.storage.setManifestSeq(randomBytes(16), 1);
    altered(() => checkManifest(s.storage, s.v, never));
    s = setup();
    // The same row, but its sum sealed for another vault id (same key).
    const foreign = new UnlockedVault(randomBytes(16), new Map([[0, k0.slice()]]));
    const elsewhere = createMemoryStorage();
    moveManifest(elsewhere, foreign, s.a, 0, 2);
    s.storage.writeManifestSum(elsewhere.readManifestSum()!);
    altered(() => checkManifest(s.storage, s.v, never));
    s = setup();
    s.storage.writeManifestSum(aeadSeal(s.v.subkey('localStore'), new Uint8Array(31), Buffer.concat([Buffer.from('mindstage.manifest.v1\0'), id])));
    altered(() => checkManifest(s.storage, s.v, never));
    // With rows and no sum at all: the rows are not trusted either, and a vault with rows is never rebuilt as one
    // from before the manifest, whatever its heads say.
    const bare = createMemoryStorage();
    bare.setManifestSeq(randomBytes(16), 1);
    altered(() => checkManifest(bare, vault(), () => true));
    const doc = randomBytes(16);
    bare.appendUpdate(doc, 1, new Uint8Array(1), new Uint8Array(1));
    bare.setManifestSeq(doc, 1);
    altered(() => checkManifest(bare, vault(), () => true));
    // A sum sealed by another vault's key does not open: no move can continue from it.
    s = setup();
    altered(() => moveManifest(s.storage, vault([[0, k1]]), s.a, 2, 3));
  });

  it('opens a sum sealed under an older vault-key generation, and reseals it under the current one on the next move', () => {
    const storage = createMemoryStorage();
    const a = randomBytes(16);
    moveManifest(storage, vault(), a, 0, 1);
    // Generations 0 and 2 (1 is missing, as on a device that never held it): the generation-0 sum still opens.
    const rotated = vault([[0, k0], [2, k2]]);
    expect(checkManifest(storage, rotated, never)).toBe('ok');
    moveManifest(storage, rotated, a, 1, 2);
    expect(checkManifest(storage, rotated, never)).toBe('ok');
    // Now sealed under generation 2: a vault without it cannot open the sum.
    altered(() => checkManifest(storage, vault([[0, k0], [1, k1]]), never));
  });

  it('builds the manifest of a vault written before it once, from the last sequence number of each document', () => {
    const storage = createMemoryStorage();
    const one = new Uint8Array(1);
    const [a, b, c] = [randomBytes(16), randomBytes(16), randomBytes(16)];
    storage.appendUpdate(a, 1, one, one);
    storage.appendUpdate(a, 2, one, one);
    storage.writeSnapshot(b, 5, one, one); // a snapshot only: its sequence number
    storage.appendUpdate(b, 6, one, one); // …and an update after it
    storage.writeSnapshot(c, 7, one, one);
    storage.appendUpdate(c, 3, one, one); // an older update row than the snapshot (the snapshot wins)
    altered(() => checkManifest(storage, vault(), never));
    expect(storage.manifestEntries()).toEqual([]);
    expect(checkManifest(storage, vault(), () => true)).toBe('built');
    expect([a, b, c].map((d) => storage.manifestSeq(d))).toEqual([2, 6, 7]);
    expect(checkManifest(storage, vault(), never)).toBe('ok');
  });

  it('builds no row for a document that has only a head', () => {
    const storage = createMemoryStorage();
    const d = randomBytes(16);
    storage.writeSnapshot(d, 0, new Uint8Array(1), new Uint8Array(1));
    expect(checkManifest(storage, vault(), () => true)).toBe('built');
    expect(storage.manifestEntries()).toEqual([]);
    expect(storage.readManifestSum()).not.toBeNull();
    expect(checkManifest(storage, vault(), never)).toBe('ok');
  });
});
