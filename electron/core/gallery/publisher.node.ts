/**
 * The vault's publishing key and what it has published, kept in the settings document (encrypted like every
 * document, synced, so any of the user's devices can unpublish). The key is 32 random bytes made on first publish —
 * not derived from the vault key (which rotates when a device is removed, and would then lose the power to
 * unpublish) and not from anything of the sync account, so nothing ties a publication to the account.
 *
 * Gallery ids are a keyed hash of the record id under the key's seed: stable for republishing, unguessable by
 * others (nobody can claim an id first), and meaningless without the seed.
 *
 * The keys made from the seed live outside V8's heap, like every vault key (docs/security.md "Memory after lock"):
 * the seed is decoded straight into such memory, the signing and id keys come from libsodium's C functions there,
 * and the session holds them (PublishingKeys) so lock zeroes them. The seed's base64 text in the settings document
 * goes with the document on lock, like any decrypted text.
 */
import type * as Y from 'yjs';
import type { PublishedView } from '../../../shared/api/gallery.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { keyedHash, randomBytes, secretBytes, signSeedKeypair, sodium, toHex, wipe } from '../crypto/sodium.node.ts';
import type { PublishingKey } from './client.node.ts';

interface Published {
  galleryId: string;
  relayUrl: string;
  mature: boolean;
  publishedAt: number;
}

const area = (doc: Y.Doc) => doc.getMap<unknown>('publishing');
const published = (doc: Y.Doc) => doc.getMap<Published>('published');
const ID_KEY_LABEL = new TextEncoder().encode('mindstage.gallery.ids');
const SEED_BYTES = 32;
const SEED_TEXT_LENGTH = 44; // base64 of 32 bytes, padded, as Buffer writes it

/** A view of `bytes` as a Buffer, sharing its memory: Buffer.from(bytes) would copy a secret into Node's pool. */
const sharedBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface VaultPublisher extends PublishingKey {
  /** Ed25519 secret key (seed ‖ public key) and the gallery-id key, outside V8's heap; zeroed on lock. */
  readonly secretKey: Uint8Array;
  readonly idKey: Uint8Array;
  galleryIdFor(recordId: string): string;
}

function fromSeed(seed: Uint8Array): VaultPublisher {
  const { publicKey, privateKey: secretKey } = signSeedKeypair(seed);
  // BLAKE2b of the seed keyed by the label: the same id key (and so the same gallery ids) as before keys moved.
  const idKey = keyedHash(ID_KEY_LABEL, seed, 32);
  return {
    publicKey,
    secretKey,
    idKey,
    sign: (m) => sodium.crypto_sign_detached(m, secretKey),
    galleryIdFor: (recordId) => toHex(keyedHash(idKey, recordId, 16)),
  };
}

/**
 * The publishing key of one unlocked vault: made from the settings document's seed on first use, kept while the
 * vault is open, and zeroed by wipe() when the session closes. Made again if the seed changes (another device made
 * one at the same time and the document settled on its seed).
 */
export class PublishingKeys {
  readonly #settings: () => Y.Doc;
  #held: { stored: string; key: VaultPublisher } | null = null;

  constructor(settings: () => Y.Doc) {
    this.#settings = settings;
  }

  /** The publishing key, made on first use when `create`; null when the vault never published. */
  get(create: boolean): VaultPublisher | null {
    const doc = this.#settings();
    const found = area(doc).get('seed');
    if (typeof found === 'string' && this.#held?.stored === found) return this.#held.key;
    this.wipe();
    let seed: Uint8Array;
    let stored: string;
    if (typeof found === 'string') {
      stored = found;
      seed = secretBytes(SEED_BYTES);
      // Decoded by Node straight into the seed's memory (no intermediate Buffer).
      const length = sharedBuffer(seed).write(stored, 'base64');
      // No regular expression on the seed's text: V8 keeps the last match's subject reachable from the context.
      if (length !== SEED_BYTES || stored.length !== SEED_TEXT_LENGTH) {
        wipe(seed);
        throw new MindstageError('integrity', 'The vault\'s publishing key is damaged, so it cannot publish or withdraw cards.');
      }
    } else {
      if (!create) return null;
      seed = randomBytes(SEED_BYTES);
      stored = sharedBuffer(seed).toString('base64');
      area(doc).set('seed', stored);
    }
    try {
      const key = fromSeed(seed);
      this.#held = { stored, key };
      return key;
    } finally {
      wipe(seed);
    }
  }

  /** Zeroes the keys (on lock). */
  wipe(): void {
    if (this.#held) wipe(this.#held.key.secretKey, this.#held.key.idKey);
    this.#held = null;
  }
}

export function publishedOf(doc: Y.Doc, recordId: string): Published | undefined {
  return published(doc).get(recordId);
}
export function setPublished(doc: Y.Doc, recordId: string, p: Published): void {
  published(doc).set(recordId, p);
}
/** Everything this vault has published (by record id), for withdrawing it all before a wipe. */
export function allPublished(doc: Y.Doc): [string, Published][] {
  return [...published(doc).entries()];
}
export function clearPublished(doc: Y.Doc, recordId: string): void {
  published(doc).delete(recordId);
}
export const publishedView = (p: Published): PublishedView => ({ galleryId: p.galleryId, relay: new URL(p.relayUrl).host, mature: p.mature, publishedAt: p.publishedAt });
