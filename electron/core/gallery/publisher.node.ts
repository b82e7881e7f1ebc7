/**
 * The vault's publishing key and what it has published, kept in the settings document (encrypted like every
 * document, synced, so any of the user's devices can unpublish). The key is 32 random bytes made on first publish —
 * not derived from the vault key (which rotates when a device is removed, and would then lose the power to
 * unpublish) and not from anything of the sync account, so nothing ties a publication to the account.
 *
 * Gallery ids are a keyed hash of the record id under the key's seed: stable for republishing, unguessable by
 * others (nobody can claim an id first), and meaningless without the seed.
 */
import type * as Y from 'yjs';
import type { PublishedView } from '../../../shared/api/gallery.std.ts';
import { randomBytes, sodium } from '../crypto/sodium.node.ts';
import type { PublishingKey } from './client.node.ts';

interface Published {
  galleryId: string;
  relayUrl: string;
  mature: boolean;
  publishedAt: number;
}

const area = (doc: Y.Doc) => doc.getMap<unknown>('publishing');
const published = (doc: Y.Doc) => doc.getMap<Published>('published');

function seedOf(doc: Y.Doc, create: boolean): Uint8Array | null {
  const stored = area(doc).get('seed');
  if (typeof stored === 'string') return new Uint8Array(Buffer.from(stored, 'base64'));
  if (!create) return null;
  const seed = randomBytes(32);
  area(doc).set('seed', Buffer.from(seed).toString('base64'));
  return seed;
}

export interface VaultPublisher extends PublishingKey {
  galleryIdFor(recordId: string): string;
}

/** The publishing key, made on first use when `create`; null when the vault never published. */
export function publisher(doc: Y.Doc, create: boolean): VaultPublisher | null {
  const seed = seedOf(doc, create);
  if (!seed) return null;
  const pair = sodium.crypto_sign_seed_keypair(seed);
  const idKey = sodium.crypto_generichash(32, seed, new TextEncoder().encode('mindstage.gallery.ids'));
  return {
    publicKey: pair.publicKey,
    sign: (m) => sodium.crypto_sign_detached(m, pair.privateKey),
    galleryIdFor: (recordId) => sodium.to_hex(sodium.crypto_generichash(16, new TextEncoder().encode(recordId), idKey)),
  };
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
