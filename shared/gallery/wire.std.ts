/**
 * The relay's public gallery over plain HTTP (docs/sync-protocol.md, "Public gallery"): what a publisher signs and
 * what readers get back. Everything here is public by construction — cards are plaintext, signed by a per-vault
 * publishing key that has nothing to do with the sync account — so the signature is over the exact card bytes and
 * the choices around them, and readers may verify it themselves.
 */
import { z } from 'zod';
import { domainStatement } from '../sync/signing.std.ts';

/** A gallery id: 16 bytes, hex. The publisher derives it from a secret of its own, so nobody can squat on it. */
export const GalleryId = z.string().regex(/^[0-9a-f]{32}$/, 'a gallery id is 32 hexadecimal characters');
const Hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes as hex`);

/** POST /gallery — the body, JSON. `card` is the PNG card, base64. */
export const PublishRequest = z.strictObject({
  id: GalleryId,
  publisher: Hex(32),
  issuedAt: z.number().int().nonnegative(),
  mature: z.boolean(),
  card: z.string().max(64 * 1024 * 1024),
  sig: Hex(64),
});
export type PublishRequest = z.infer<typeof PublishRequest>;

/** DELETE /gallery/<id> — the body, JSON. */
export const UnpublishRequest = z.strictObject({ publisher: Hex(32), issuedAt: z.number().int().nonnegative(), sig: Hex(64) });
export type UnpublishRequest = z.infer<typeof UnpublishRequest>;

/** One entry of GET /gallery: what the relay read out of the card itself, and who signed it when. */
export const GalleryEntry = z.strictObject({
  id: GalleryId,
  name: z.string(),
  creator: z.string(),
  tags: z.array(z.string()),
  description: z.string(),
  mature: z.boolean(),
  publisher: Hex(32),
  issuedAt: z.number(),
  publishedAt: z.number(),
  updatedAt: z.number(),
  bytes: z.number(),
  sig: Hex(64),
});
export type GalleryEntry = z.infer<typeof GalleryEntry>;
export const GalleryListing = z.object({ ok: z.literal(true), items: z.array(GalleryEntry), more: z.boolean() });
export type GalleryListing = z.infer<typeof GalleryListing>;

/** Every refusal: `{ok: false, error, message}` with an HTTP status that says the same. */
export const GalleryRefusal = z.object({ ok: z.literal(false), error: z.string(), message: z.string() });

const statement = (label: string, fields: (Uint8Array | string | number)[]) => domainStatement('mindstage.gallery.v1', label, fields);

/** What the publishing key signs to publish (or replace) a card under an id. */
export const publishStatement = (a: { id: string; publisher: Uint8Array; issuedAt: number; mature: boolean; card: Uint8Array }) =>
  statement('publish', [a.id, a.publisher, a.issuedAt, a.mature ? 1 : 0, a.card]);

/** What the same key signs to take it down. */
export const unpublishStatement = (a: { id: string; publisher: Uint8Array; issuedAt: number }) => statement('unpublish', [a.id, a.publisher, a.issuedAt]);

/** The gallery's HTTP base from a relay address as the app stores it (ws:// or wss://, or already http[s]://). */
export function galleryBase(relayUrl: string): string {
  const u = new URL(relayUrl);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  else if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError('not a relay address');
  u.pathname = '/';
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/$/, '');
}
