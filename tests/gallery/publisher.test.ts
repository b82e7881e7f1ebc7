/**
 * The gallery publishing key made outside V8's heap (electron/core/gallery/publisher.node.ts) is the same key, and
 * gives the same gallery ids, as libsodium.js made from the same seed before: a vault that published earlier can
 * still republish and withdraw its cards. A damaged seed is a clear error; wipe() zeroes what the session held.
 */
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { sodium } from '../../electron/core/crypto/sodium.node.ts';
import { PublishingKeys } from '../../electron/core/gallery/publisher.node.ts';
import { MindstageError } from '../../shared/result.std.ts';

const seedText = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
const docWithSeed = (text: string) => {
  const doc = new Y.Doc();
  doc.getMap('publishing').set('seed', text);
  return doc;
};

describe('gallery publishing key', () => {
  it('is the key, and gives the ids, that libsodium.js makes from the same seed', () => {
    const seed = new Uint8Array(Buffer.from(seedText, 'base64'));
    const pair = sodium.crypto_sign_seed_keypair(seed);
    const idKey = sodium.crypto_generichash(32, seed, new TextEncoder().encode('mindstage.gallery.ids'));
    const key = new PublishingKeys(() => docWithSeed(seedText)).get(false)!;
    expect(Buffer.from(key.publicKey).toString('hex')).toBe(sodium.to_hex(pair.publicKey));
    expect(Buffer.from(key.secretKey).toString('hex')).toBe(sodium.to_hex(pair.privateKey));
    const recordId = '0123456789abcdef0123456789abcdef';
    expect(key.galleryIdFor(recordId)).toBe(sodium.to_hex(sodium.crypto_generichash(16, new TextEncoder().encode(recordId), idKey)));
    const message = new TextEncoder().encode('publish this');
    expect(sodium.crypto_sign_verify_detached(key.sign(message), message, pair.publicKey)).toBe(true);
  });

  it('is made once, on first publish, and then kept in the settings document', () => {
    const doc = new Y.Doc();
    const keys = new PublishingKeys(() => doc);
    expect(keys.get(false)).toBeNull();
    const made = keys.get(true)!;
    expect(doc.getMap('publishing').get('seed')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(keys.get(false)).toBe(made);
    // Another session of the same vault makes the same key from the stored seed.
    expect(new PublishingKeys(() => doc).get(false)!.publicKey).toEqual(made.publicKey);
  });

  it('zeroes what it held on wipe, and follows the seed when the document settles on another', () => {
    const doc = docWithSeed(seedText);
    const keys = new PublishingKeys(() => doc);
    const key = keys.get(false)!;
    keys.wipe();
    expect(key.secretKey.every((b) => b === 0)).toBe(true);
    expect(key.idKey.every((b) => b === 0)).toBe(true);
    const again = keys.get(false)!;
    expect(again.secretKey.some((b) => b !== 0)).toBe(true);
    doc.getMap('publishing').set('seed', Buffer.alloc(32, 9).toString('base64'));
    const other = keys.get(false)!;
    expect(other.publicKey).not.toEqual(again.publicKey);
    expect(again.secretKey.every((b) => b === 0)).toBe(true);
  });

  it('refuses a damaged seed clearly', () => {
    for (const bad of ['', 'not base64 at all', seedText.slice(0, 40), `${seedText}AAAA`]) {
      const run = () => new PublishingKeys(() => docWithSeed(bad)).get(false);
      expect(run).toThrow(MindstageError);
      expect(run).toThrow(/publishing key is damaged/);
    }
  });
});
