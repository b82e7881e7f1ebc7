/**
 * The public gallery on the relay's HTTP port (docs/sync-protocol.md, "Public gallery"):
 *
 *   GET    /gallery[?q=&mature=1&limit=&offset=]   JSON listing, newest first; 18+ entries only with mature=1
 *   GET    /gallery/<id>                           one entry (JSON)
 *   GET    /gallery/<id>.png                       the card itself
 *   POST   /gallery                                publish or replace (JSON body, signed by the publishing key)
 *   DELETE /gallery/<id>                           unpublish (JSON body, signed by the same key)
 *
 * Nothing here touches the sync tables or sessions: no account or device takes part, so a publication cannot be
 * tied to a sync account by anything the relay stores. Every check that costs nothing (rate, size, schema, clock)
 * comes before the signature check, and the signature before the card is parsed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PublishRequest, UnpublishRequest, GalleryId, publishStatement, unpublishStatement, type GalleryEntry } from '../shared/gallery/wire.std.ts';
import { MindstageError } from '../shared/result.std.ts';
import { verifyEd25519 } from './crypto.node.ts';
import { addressKey } from './guard.node.ts';
import { TokenBucket, type RelayLimits } from './limits.node.ts';
import { hex, unhex } from './storage/common.node.ts';
import type { GalleryRow, GalleryStorage } from './storage/gallery-types.node.ts';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'close' };
/** Reads are public: any web page may fetch the listing and the cards. */
const READ_HEADERS = { 'access-control-allow-origin': '*' };
const MAX_QUERY = 200;
const PAGE = 50;
const EXCERPT = 280;

export const toEntry = (r: GalleryRow): GalleryEntry => ({
  id: r.id,
  name: r.name,
  creator: r.creator,
  tags: r.tags,
  description: r.description,
  mature: r.mature,
  publisher: hex(r.publisher),
  issuedAt: r.issuedAt,
  publishedAt: r.publishedAt,
  updatedAt: r.updatedAt,
  bytes: r.bytes,
  sig: hex(r.sig),
});

class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The request body, up to `max` bytes; a longer one is refused without being read further. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) throw new Refusal(413, 'too_large', `The request is larger than this relay accepts (${max} bytes).`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Refusal(413, 'too_large', `The request is larger than this relay accepts (${max} bytes).`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, body: Buffer): T {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Refusal(400, 'bad_request', 'The request body is not JSON.');
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Refusal(400, 'bad_request', `The request is not valid: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unexpected shape'}.`);
  }
  return r.data;
}

export interface GalleryHttp {
  /** Answers the request when its path is the gallery's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Forgets idle per-address buckets (called from the relay's heartbeat). */
  prune(): void;
}

export function galleryHttp(deps: { gallery: GalleryStorage; limits: RelayLimits; log: Logger; now: () => number; tag: (id: Uint8Array) => string }): GalleryHttp {
  const { gallery, limits, log, now } = deps;
  const buckets = new Map<string, { read: TokenBucket; write: TokenBucket }>();
  const bucketsOf = (address: string) => {
    let b = buckets.get(address);
    if (!b) {
      b = {
        read: new TokenBucket(limits.galleryReadBurst, limits.galleryReadRatePerSecond, now()),
        write: new TokenBucket(limits.galleryWritesPerAddressPerHour, limits.galleryWritesPerAddressPerHour / 3600, now()),
      };
      buckets.set(address, b);
    }
    return b;
  };
  const take = (bucket: TokenBucket) => {
    const t = bucket.take(now());
    if (!t.ok) throw new Refusal(429, 'rate_limited', 'Too many gallery requests from your network address; try again shortly.', t.retryAfterMs);
  };
  const checkClock = (issuedAt: number) => {
    if (Math.abs(issuedAt - now()) > limits.gallerySkewMs) throw new Refusal(400, 'clock', "The request's time is too far from the relay's clock; check this computer's date and time.");
  };

  async function publish(req: IncomingMessage, res: ServerResponse) {
    const body = readBody(req, Math.ceil((limits.galleryMaxCardBytes * 4) / 3) + 4096);
    const p = parseJson(PublishRequest, await body);
    const card = new Uint8Array(Buffer.from(p.card, 'base64'));
    if (card.length > limits.galleryMaxCardBytes) throw new Refusal(413, 'too_large', `The card is larger than this relay accepts (${limits.galleryMaxCardBytes} bytes).`);
    checkClock(p.issuedAt);
    const publisher = unhex(p.publisher);
    if (!verifyEd25519(unhex(p.sig), publishStatement({ id: p.id, publisher, issuedAt: p.issuedAt, mature: p.mature, card }), publisher)) {
      throw new Refusal(401, 'bad_signature', 'The signature does not match the card and the publishing key.');
    }
    // The card formats load on first publish: a relay nobody publishes to never pays for them.
    const cards = await import('../electron/core/cards/index.node.ts');
    const { isPng } = await import('../electron/core/cards/png.node.ts');
    if (!isPng(card)) throw new Refusal(400, 'bad_card', 'The gallery takes character cards as PNG images.');
    let fields;
    try {
      fields = cards.importCard(card, 'card.png').fields;
    } catch (e) {
      if (e instanceof MindstageError) throw new Refusal(400, 'bad_card', e.message);
      throw e;
    }
    const excerpt = (fields.creator_notes || fields.description).slice(0, EXCERPT);
    const tags = fields.tags.slice(0, 50);
    const outcome = await gallery.put(
      { id: p.id, publisher, issuedAt: p.issuedAt, mature: p.mature, name: fields.name, creator: fields.creator, tags, description: excerpt, search: [fields.name, fields.creator, ...tags, excerpt].join('\n').toLowerCase(), card, sig: unhex(p.sig) },
      now(),
      { maxEntriesPerPublisher: limits.galleryMaxEntriesPerPublisher, maxBytesTotal: limits.galleryMaxBytesTotal },
    );
    log.info({ gallery: 'publish', pub: deps.tag(publisher), bytes: card.length, outcome }, 'gallery');
    void gallery.forget(now() - 2 * limits.gallerySkewMs).catch(() => undefined);
    switch (outcome) {
      case 'created':
      case 'updated': {
        const entry = await gallery.entry(p.id);
        return send(res, outcome === 'created' ? 201 : 200, { ok: true, entry: entry ? toEntry(entry) : null });
      }
      case 'conflict':
        throw new Refusal(409, 'conflict', 'This gallery id belongs to another publisher.');
      case 'stale':
        throw new Refusal(409, 'stale', 'A newer publish or unpublish of this card was already received; sign the request again.');
      case 'publisher_full':
        throw new Refusal(403, 'quota', `This publisher already has ${limits.galleryMaxEntriesPerPublisher} cards in the gallery; unpublish one first.`);
      case 'full':
        throw new Refusal(507, 'full', 'This relay’s gallery is full; try again later.');
    }
  }

  async function unpublish(req: IncomingMessage, res: ServerResponse, id: string) {
    const u = parseJson(UnpublishRequest, await readBody(req, 4096));
    checkClock(u.issuedAt);
    const publisher = unhex(u.publisher);
    if (!verifyEd25519(unhex(u.sig), unpublishStatement({ id, publisher, issuedAt: u.issuedAt }), publisher)) {
      throw new Refusal(401, 'bad_signature', 'The signature does not match this id and the publishing key.');
    }
    const outcome = await gallery.remove(id, publisher, u.issuedAt, now());
    log.info({ gallery: 'unpublish', pub: deps.tag(publisher), outcome }, 'gallery');
    if (outcome === 'not_found') throw new Refusal(404, 'not_found', 'There is no card with this id in the gallery.');
    if (outcome === 'forbidden') throw new Refusal(403, 'forbidden', 'Only the key that published this card can unpublish it.');
    if (outcome === 'stale') throw new Refusal(409, 'stale', 'This unpublish request is older than the card it would remove; sign it again.');
    send(res, 200, { ok: true, removed: id });
  }

  async function list(res: ServerResponse, params: URLSearchParams) {
    const q = (params.get('q') ?? '').trim().toLowerCase();
    if (q.length > MAX_QUERY) throw new Refusal(400, 'bad_request', `A search is at most ${MAX_QUERY} characters.`);
    const limit = Number(params.get('limit') ?? PAGE);
    const offset = Number(params.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new Refusal(400, 'bad_request', 'limit must be a whole number from 1 to 100.');
    if (!Number.isInteger(offset) || offset < 0 || offset > 100_000) throw new Refusal(400, 'bad_request', 'offset must be a whole number from 0 to 100000.');
    const rows = await gallery.list({ text: q, mature: params.get('mature') === '1', limit: limit + 1, offset });
    send(res, 200, { ok: true, items: rows.slice(0, limit).map(toEntry), more: rows.length > limit }, READ_HEADERS);
  }

  function send(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}) {
    res.writeHead(status, { ...JSON_HEADERS, ...extra });
    res.end(JSON.stringify(body));
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string) {
    const address = addressKey(req.socket.remoteAddress);
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (!read && method !== 'POST' && method !== 'DELETE') throw new Refusal(405, 'method_not_allowed', 'The gallery answers GET, POST (publish) and DELETE (unpublish).');
    take(read ? bucketsOf(address).read : bucketsOf(address).write);
    const url = new URL(req.url ?? '/', 'http://relay');
    if (path === '/gallery' || path === '/gallery/') {
      if (read) return list(res, url.searchParams);
      if (method === 'POST') return publish(req, res);
      throw new Refusal(405, 'method_not_allowed', 'Publish with POST /gallery; unpublish with DELETE /gallery/<id>.');
    }
    const m = /^\/gallery\/([^/]+?)(\.png)?$/.exec(path);
    const id = m?.[1];
    if (!m || !id || !GalleryId.safeParse(id).success) throw new Refusal(404, 'not_found', 'There is no such gallery address; see GET /gallery.');
    if (m[2]) {
      if (!read) throw new Refusal(405, 'method_not_allowed', 'Cards are read-only: GET /gallery/<id>.png.');
      const card = await gallery.card(id);
      if (!card) throw new Refusal(404, 'not_found', 'There is no card with this id in the gallery.');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(card.length), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'", ...READ_HEADERS, connection: 'close' });
      res.end(method === 'HEAD' ? undefined : Buffer.from(card));
      return;
    }
    if (method === 'DELETE') return unpublish(req, res, id);
    if (!read) throw new Refusal(405, 'method_not_allowed', 'Publish with POST /gallery.');
    const entry = await gallery.entry(id);
    if (!entry) throw new Refusal(404, 'not_found', 'There is no card with this id in the gallery.');
    send(res, 200, { ok: true, entry: toEntry(entry) }, READ_HEADERS);
  }

  return {
    handle(req, res, path) {
      if (path !== '/gallery' && !path.startsWith('/gallery/')) return false;
      route(req, res, path).catch((e: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (e instanceof Refusal) {
          const extra: Record<string, string> = e.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(e.retryAfterMs / 1000)) };
          return send(res, e.status, { ok: false, error: e.code, message: e.message, ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }) }, extra);
        }
        log.error({ gallery: 'error', err: String(e).slice(0, 200) }, 'gallery request failed');
        send(res, 500, { ok: false, error: 'internal', message: 'The relay could not answer this gallery request.' });
      });
      return true;
    },
    prune() {
      const t = now();
      for (const [a, b] of buckets) if (b.read.full(t) && b.write.full(t)) buckets.delete(a);
    },
  };
}
