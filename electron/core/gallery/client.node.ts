/**
 * The app's side of the relay's public gallery: plain HTTP requests (fetch), deliberately not the authenticated
 * sync connection, carrying nothing of the sync account — no account or device id, no cookie, no token. Publishing
 * is signed by the vault's publishing key (publisher.node.ts); reading needs nothing.
 *
 * Each call reports what it moved (for the ledger) beside its result. Refusals become MindstageErrors carrying the
 * relay's own sentence.
 */
import { GalleryEntry, GalleryListing, GalleryRefusal, galleryBase, publishStatement, unpublishStatement } from '../../../shared/gallery/wire.std.ts';
import { MindstageError, type ErrorCode } from '../../../shared/result.std.ts';
import { isLoopbackHost } from '../sync/connection.node.ts';

export interface PublishingKey {
  publicKey: Uint8Array;
  sign: (message: Uint8Array) => Uint8Array;
}

/** What one request moved, for the privacy ledger: never content. */
export interface Traffic {
  host: string;
  bytesOut: number;
  bytesIn: number;
  status: number | null;
}

const TIMEOUT_MS = 30_000;
const MAX_LISTING_BYTES = 4 * 1024 * 1024;
const MAX_CARD_BYTES = 16 * 1024 * 1024;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The gallery's base address for a relay address (ws[s]:// or http[s]://); TLS unless the relay is on this machine. */
export function galleryAddress(relayUrl: string): string {
  let base: string;
  try {
    base = galleryBase(relayUrl);
  } catch {
    throw new MindstageError('usage', `${relayUrl} is not a relay address (expected wss://host or https://host).`);
  }
  const u = new URL(base);
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    throw new MindstageError('usage', `The relay at ${u.host} must be reached over TLS (https:// or wss://); plain http:// is only for a relay on this computer.`);
  }
  return base;
}

async function request(url: string, init: RequestInit & { maxBytes: number }, traffic: Traffic): Promise<{ status: number; body: Uint8Array; type: string }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', credentials: 'omit', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new MindstageError('network', `Could not reach the relay at ${traffic.host}.`);
  }
  traffic.status = res.status;
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > init.maxBytes) {
    await res.body?.cancel();
    throw new MindstageError('network', `The relay at ${traffic.host} sent more than expected; nothing was read.`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      traffic.bytesIn = size;
      if (size > init.maxBytes) throw new MindstageError('network', `The relay at ${traffic.host} sent more than expected; the rest was not read.`);
      chunks.push(chunk);
    }
  }
  return { status: res.status, body: Buffer.concat(chunks), type: res.headers.get('content-type') ?? '' };
}

const codeFor = (status: number): ErrorCode => (status === 404 ? 'not_found' : status === 409 ? 'exists' : status === 400 || status === 401 || status === 403 || status === 413 ? 'usage' : 'network');

function refusal(status: number, body: Uint8Array, host: string): MindstageError {
  let parsed: ReturnType<typeof GalleryRefusal.safeParse> | undefined;
  try {
    parsed = GalleryRefusal.safeParse(JSON.parse(Buffer.from(body).toString('utf8')));
  } catch {
    parsed = undefined;
  }
  const message = parsed?.success ? parsed.data.message.slice(0, 300) : `The relay at ${host} answered ${status}.`;
  return new MindstageError(codeFor(status), message);
}

function json<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false } }, body: Uint8Array, host: string, pick?: string): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
    if (pick !== undefined) value = (value as Record<string, unknown>)[pick];
  } catch {
    throw new MindstageError('network', `The relay at ${host} did not answer as a gallery does.`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new MindstageError('network', `The relay at ${host} did not answer as a gallery does.`);
  return r.data;
}

export const newTraffic = (base: string): Traffic => ({ host: new URL(base).host, bytesOut: 0, bytesIn: 0, status: null });

export async function publishCard(base: string, key: PublishingKey, a: { id: string; card: Uint8Array; mature: boolean; issuedAt: number }, traffic = newTraffic(base)): Promise<GalleryEntry> {
  const sig = key.sign(publishStatement({ id: a.id, publisher: key.publicKey, issuedAt: a.issuedAt, mature: a.mature, card: a.card }));
  const body = JSON.stringify({ id: a.id, publisher: hex(key.publicKey), issuedAt: a.issuedAt, mature: a.mature, card: Buffer.from(a.card).toString('base64'), sig: hex(sig) });
  traffic.bytesOut = Buffer.byteLength(body);
  const r = await request(`${base}/gallery`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, maxBytes: MAX_LISTING_BYTES }, traffic);
  if (r.status !== 200 && r.status !== 201) throw refusal(r.status, r.body, traffic.host);
  return json(GalleryEntry, r.body, traffic.host, 'entry');
}

export async function unpublishCard(base: string, key: PublishingKey, a: { id: string; issuedAt: number }, traffic = newTraffic(base)): Promise<void> {
  const sig = key.sign(unpublishStatement({ id: a.id, publisher: key.publicKey, issuedAt: a.issuedAt }));
  const body = JSON.stringify({ publisher: hex(key.publicKey), issuedAt: a.issuedAt, sig: hex(sig) });
  traffic.bytesOut = Buffer.byteLength(body);
  const r = await request(`${base}/gallery/${a.id}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body, maxBytes: MAX_LISTING_BYTES }, traffic);
  if (r.status !== 200) throw refusal(r.status, r.body, traffic.host);
}

export async function listGallery(base: string, q: { text?: string; mature: boolean; limit?: number; offset?: number }, traffic = newTraffic(base)): Promise<GalleryListing> {
  const params = new URLSearchParams();
  if (q.text) params.set('q', q.text);
  if (q.mature) params.set('mature', '1');
  if (q.limit) params.set('limit', String(q.limit));
  if (q.offset) params.set('offset', String(q.offset));
  const qs = params.toString();
  const r = await request(`${base}/gallery${qs ? `?${qs}` : ''}`, { method: 'GET', maxBytes: MAX_LISTING_BYTES }, traffic);
  if (r.status !== 200) throw refusal(r.status, r.body, traffic.host);
  return json(GalleryListing, r.body, traffic.host);
}

export async function galleryEntry(base: string, id: string, traffic = newTraffic(base)): Promise<GalleryEntry> {
  const r = await request(`${base}/gallery/${id}`, { method: 'GET', maxBytes: MAX_LISTING_BYTES }, traffic);
  if (r.status !== 200) throw refusal(r.status, r.body, traffic.host);
  return json(GalleryEntry, r.body, traffic.host, 'entry');
}

export async function fetchCard(base: string, id: string, traffic = newTraffic(base)): Promise<Uint8Array> {
  const r = await request(`${base}/gallery/${id}.png`, { method: 'GET', maxBytes: MAX_CARD_BYTES }, traffic);
  if (r.status !== 200) throw refusal(r.status, r.body, traffic.host);
  if (!r.type.startsWith('image/png')) throw new MindstageError('network', `The relay at ${traffic.host} did not answer with a card image.`);
  return r.body;
}
