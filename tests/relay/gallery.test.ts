/**
 * The relay's public gallery over HTTP, on a real relay with SQLite and with PostgreSQL: publishing makes exactly
 * that card readable (listing, search, entry, PNG), 18+ entries stay out of listings unless asked for, unpublishing
 * removes the rows from the database at once (checked with SQL against the relay's own database), and every bad
 * request gets a clear refusal: bad or foreign signatures, replays, clock, not a card, too large, too many.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCard, galleryAddress, galleryEntry, listGallery, publishCard, unpublishCard, type PublishingKey } from '../../electron/core/gallery/client.node.ts';
import { publishStatement } from '../../shared/gallery/wire.std.ts';
import { MindstageError } from '../../shared/result.std.ts';
import { SQLITE_FILE } from '../../sync-server/storage/sqlite.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { sodium } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const cards = join(import.meta.dirname, '../../../shared/fixtures/cards');
const seraphina = new Uint8Array(readFileSync(join(cards, 'v2-hybrid-seraphina.png')));
const melina = new Uint8Array(readFileSync(join(cards, 'v2-pure-melina.png')));
const notACard = new Uint8Array(readFileSync(join(cards, 'invalid-no-card-chunk.png')));
/** A publishing key as the app holds one (libsodium Ed25519). */
const newKeys = (): PublishingKey => {
  const k = sodium.crypto_sign_keypair();
  return { publicKey: k.publicKey, sign: (m) => sodium.crypto_sign_detached(m, k.privateKey) };
};
const newId = () => randomBytes(16).toString('hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function refusedWith(p: Promise<unknown>): Promise<MindstageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MindstageError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

interface Backend {
  name: string;
  start: () => Promise<TestRelay>;
  rows: (relay: TestRelay) => Promise<{ gallery: number; removed: number }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    start: () => startTestRelay(),
    rows: async (relay) => {
      const db = new Database(join(relay.dataDir, SQLITE_FILE), { readonly: true });
      try {
        const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
        return { gallery: n('gallery'), removed: n('gallery_removed') };
      } finally {
        db.close();
      }
    },
  },
];
let cluster: PgCluster | undefined;
const skipPg = postgresUnavailable();
if (!skipPg) {
  let n = 0;
  const urls = new Map<TestRelay, string>();
  backends.push({
    name: 'postgres',
    start: async () => {
      cluster ??= await startPostgres();
      const url = await cluster.createDatabase(`gallery_http_${++n}`);
      const relay = await startTestRelay({ postgresUrl: url });
      urls.set(relay, url);
      return relay;
    },
    rows: async (relay) => {
      const n = async (t: string) => Number((await cluster!.query<{ n: string }>(urls.get(relay)!, `SELECT count(*) AS n FROM ${t}`))[0]!.n);
      return { gallery: await n('gallery'), removed: await n('gallery_removed') };
    },
  });
} else {
  describe('gallery over HTTP: postgres', () => it.skip(`skipped: ${skipPg}`, () => undefined));
}
afterAll(async () => {
  await cluster?.stop();
});

for (const backend of backends) {
  describe(`gallery over HTTP: ${backend.name}`, () => {
    let relay: TestRelay;
    let base: string;
    beforeAll(async () => {
      relay = await backend.start();
      base = galleryAddress(relay.url);
    });
    afterAll(async () => {
      await relay?.close();
    });

    it('publishes exactly that card, finds it, hides 18+ until asked, and unpublish deletes its rows at once', async () => {
      const key = newKeys();
      const id = newId();
      const entry = await publishCard(base, key, { id, card: seraphina, mature: false, issuedAt: Date.now() });
      expect(entry).toMatchObject({ id, name: 'Seraphina', mature: false, publisher: hex(key.publicKey), bytes: seraphina.length });
      // Any reader can check who signed it.
      expect(key.publicKey).toEqual(new Uint8Array(Buffer.from(entry.publisher, 'hex')));
      const mature = newId();
      await publishCard(base, key, { id: mature, card: melina, mature: true, issuedAt: Date.now() });

      const listed = await listGallery(base, { mature: false });
      expect(listed.items.map((e) => e.id)).toEqual([id]);
      expect((await listGallery(base, { mature: true })).items.map((e) => e.id).sort()).toEqual([id, mature].sort());
      expect((await listGallery(base, { text: 'SERAPH', mature: true })).items.map((e) => e.id)).toEqual([id]);
      expect((await listGallery(base, { text: 'no such words', mature: true })).items).toEqual([]);
      expect(Buffer.from(await fetchCard(base, id)).equals(Buffer.from(seraphina))).toBe(true);
      expect((await galleryEntry(base, id)).name).toBe('Seraphina');
      // Plain HTTP readers (any client) get JSON and the PNG, readable from any origin.
      const raw = await fetch(`${base}/gallery/${id}.png`);
      expect(raw.headers.get('content-type')).toBe('image/png');
      expect(raw.headers.get('access-control-allow-origin')).toBe('*');
      expect(await backend.rows(relay)).toEqual({ gallery: 2, removed: 0 });

      await unpublishCard(base, key, { id, issuedAt: Date.now() });
      expect(await backend.rows(relay)).toEqual({ gallery: 1, removed: 1 });
      expect((await refusedWith(fetchCard(base, id))).code).toBe('not_found');
      expect((await refusedWith(galleryEntry(base, id))).code).toBe('not_found');
      expect((await listGallery(base, { mature: true })).items.map((e) => e.id)).toEqual([mature]);
      await unpublishCard(base, key, { id: mature, issuedAt: Date.now() });
      expect((await backend.rows(relay)).gallery).toBe(0);
    });

    it('refuses a foreign key, a replay, a bad signature, a skewed clock and a file that is not a card', async () => {
      const owner = newKeys();
      const other = newKeys();
      const id = newId();
      const issuedAt = Date.now();
      await publishCard(base, owner, { id, card: seraphina, mature: false, issuedAt });
      expect(await refusedWith(publishCard(base, other, { id, card: melina, mature: false, issuedAt: Date.now() + 1 }))).toMatchObject({ code: 'exists', message: expect.stringMatching(/another publisher/) });
      expect(await refusedWith(unpublishCard(base, other, { id, issuedAt: Date.now() + 2 }))).toMatchObject({ code: 'usage', message: expect.stringMatching(/Only the key that published/) });
      // A captured publish request, replayed after an unpublish, does not bring the card back.
      const card = Buffer.from(seraphina).toString('base64');
      const captured = JSON.stringify({ id, publisher: hex(owner.publicKey), issuedAt, mature: false, card, sig: hex(owner.sign(publishStatement({ id, publisher: owner.publicKey, issuedAt, mature: false, card: seraphina }))) });
      await unpublishCard(base, owner, { id, issuedAt: Date.now() + 3 });
      const replay = await fetch(`${base}/gallery`, { method: 'POST', body: captured, headers: { 'content-type': 'application/json' } });
      expect(replay.status).toBe(409);
      expect(await replay.json()).toMatchObject({ ok: false, error: 'stale' });
      expect((await refusedWith(fetchCard(base, id))).code).toBe('not_found');

      // The signature covers the mature flag: flipping it breaks the signature.
      const tampered = JSON.parse(captured) as Record<string, unknown>;
      tampered.mature = true;
      tampered.issuedAt = issuedAt; // same request, one field changed
      const bad = await fetch(`${base}/gallery`, { method: 'POST', body: JSON.stringify(tampered) });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: 'bad_signature' });

      expect(await refusedWith(publishCard(base, owner, { id: newId(), card: seraphina, mature: false, issuedAt: Date.now() - 3600_000 }))).toMatchObject({ code: 'usage', message: expect.stringMatching(/clock/) });
      expect(await refusedWith(publishCard(base, owner, { id: newId(), card: notACard, mature: false, issuedAt: Date.now() }))).toMatchObject({ code: 'usage' });
      expect(await refusedWith(publishCard(base, owner, { id: newId(), card: new TextEncoder().encode('{"name":"x"}'), mature: false, issuedAt: Date.now() }))).toMatchObject({ code: 'usage', message: expect.stringMatching(/PNG/) });
      expect((await backend.rows(relay)).gallery).toBe(0);
    });
  });
}

describe('gallery over HTTP: limits and malformed requests', () => {
  let relay: TestRelay;
  let base: string;
  beforeAll(async () => {
    relay = await startTestRelay({ limits: { galleryMaxCardBytes: 64 * 1024, galleryReadBurst: 5, galleryReadRatePerSecond: 0.01, galleryWritesPerAddressPerHour: 4 } });
    base = galleryAddress(relay.url);
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('answers each malformed request with a clear JSON refusal, then rate-limits reads and writes per address', async () => {
    const call = async (path: string, init?: RequestInit) => {
      const r = await fetch(`${base}${path}`, init);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    expect(await call('/gallery/not-an-id.png')).toMatchObject({ status: 404, body: { ok: false, error: 'not_found' } });
    expect(await call('/gallery', { method: 'PUT' })).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(await call('/gallery?limit=1000')).toMatchObject({ status: 400, body: { error: 'bad_request', message: expect.stringMatching(/limit/) } });
    // Writes: 4 an hour from this address.
    expect(await call('/gallery', { method: 'POST', body: 'not json' })).toMatchObject({ status: 400, body: { error: 'bad_request', message: expect.stringMatching(/not JSON/) } });
    expect(await call('/gallery', { method: 'POST', body: JSON.stringify({ id: newId() }) })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const key = newKeys();
    const tooBig = await refusedWith(publishCard(base, key, { id: newId(), card: new Uint8Array(200 * 1024), mature: false, issuedAt: Date.now() }));
    expect(tooBig.message).toMatch(/larger than this relay accepts/);
    const fits = await refusedWith(publishCard(base, key, { id: newId(), card: new Uint8Array(60 * 1024), mature: false, issuedAt: Date.now() }));
    expect(fits.message).toMatch(/PNG/); // read, checked and refused as not a card, not for its size
    const limited = await call('/gallery', { method: 'POST', body: '{}' });
    expect(limited).toMatchObject({ status: 429, body: { error: 'rate_limited', retryAfterMs: expect.any(Number) } });
    // Reads: a burst of 5, two spent above (a refused method costs nothing); the sixth is refused with a time to wait.
    for (let i = 0; i < 3; i++) expect((await call('/gallery')).status).toBe(200);
    const r = await fetch(`${base}/gallery`);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // The sync side is untouched by the gallery's buckets.
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
