/**
 * Public sharing end to end: whole cores on real vaults, a real relay on SQLite and one on PostgreSQL.
 *
 * - Publishing a character makes exactly that character (portrait, lorebook) readable in the relay's gallery, and
 *   a canary in every private record — another character, its notes, a persona, another scenario, a
 *   conversation's message — never appears in the relay's gallery tables or in any gallery answer.
 * - The publish request carries nothing of the sync account: it goes through a recording proxy, which sees no
 *   account or device id in any form, and the publishing key is neither of them.
 * - 18+ stays hidden until the age gate says so; another vault imports through the card import path; unpublish
 *   deletes the rows at once (SQL against the relay's own database); every request is in the ledger.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../sync-server/storage/sqlite.node.ts';
import { encodedForms } from '../support/files.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { firstDevice, openDevice, pairedDevice, PASS, refusal, type CoreDevice } from '../sync/core-support.node.ts';

const run = randomBytes(5).toString('hex');
const canary = (w: string) => `CANARY-${w}-${run}`;
const canaries = ['other-character', 'other-notes', 'persona', 'other-scenario', 'message', 'conversation-title'].map(canary);
const portrait = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../shared/fixtures/cards/v2-pure-melina.png')));

/** A pass-through HTTP proxy that keeps every request it forwards (headers and body), to show what leaves. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Buffer[]; close: () => Promise<void> }> {
  const t = new URL(target.replace(/^ws/, 'http'));
  const seen: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push(Buffer.concat([Buffer.from(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n`), body]));
      const out = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

interface Backend {
  name: string;
  start: () => Promise<TestRelay>;
  /** Every row of the relay's gallery tables, as text (bytes as latin1, so any encoding of a canary shows). */
  publicRows: (relay: TestRelay) => Promise<string[]>;
  count: (relay: TestRelay) => Promise<number>;
}
let cluster: PgCluster | undefined;
const pgUrls = new Map<TestRelay, string>();
const rowText = (r: Record<string, unknown>) => Object.values(r).map((v) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : String(v))).join('\u0000');
const backends: Backend[] = [
  {
    name: 'sqlite',
    start: () => startTestRelay(),
    publicRows: async (relay) => {
      const db = new Database(join(relay.dataDir, SQLITE_FILE), { readonly: true });
      try {
        return ['gallery', 'gallery_removed'].flatMap((t) => (db.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]).map(rowText));
      } finally {
        db.close();
      }
    },
    count: async (relay) => {
      const db = new Database(join(relay.dataDir, SQLITE_FILE), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM gallery').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
  },
];
const skipPg = postgresUnavailable();
if (!skipPg) {
  let n = 0;
  backends.push({
    name: 'postgres',
    start: async () => {
      cluster ??= await startPostgres();
      const url = await cluster.createDatabase(`gallery_core_${++n}`);
      const relay = await startTestRelay({ postgresUrl: url });
      pgUrls.set(relay, url);
      return relay;
    },
    publicRows: async (relay) => {
      const url = pgUrls.get(relay)!;
      const rows = [...(await cluster!.query(url, 'SELECT * FROM gallery')), ...(await cluster!.query(url, 'SELECT * FROM gallery_removed'))];
      return rows.map(rowText);
    },
    count: async (relay) => Number((await cluster!.query<{ n: string }>(pgUrls.get(relay)!, 'SELECT count(*) AS n FROM gallery'))[0]!.n),
  });
} else {
  describe('public sharing: postgres', () => it.skip(`skipped: ${skipPg}`, () => undefined));
}
afterAll(async () => {
  await cluster?.stop();
});

const noCanary = (where: string, text: Buffer | string) => {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  for (const c of canaries) for (const f of encodedForms(c)) expect(b.includes(f), `${c} in ${where}`).toBe(false);
};

async function fillPrivate(d: CoreDevice): Promise<string> {
  const { id: other } = await d.call('character.create', { name: canary('other-character'), creator_notes: canary('other-notes') });
  const { id: persona } = await d.call('persona.create', { name: 'Me', description: canary('persona') });
  const { id: shared } = await d.call('character.create', {
    name: 'Lantern Keeper',
    description: 'Keeps the harbour light.',
    tags: ['harbour', 'gentle'],
    character_book: { name: 'Harbour lore', extensions: {}, entries: [{ keys: ['beacon'], content: 'The beacon never goes out.', extensions: {}, enabled: true, insertion_order: 0 }] },
  });
  await d.call('assets.setAvatar', { recordId: shared, kind: 'character', mime: 'image/png', bytesBase64: Buffer.from(portrait).toString('base64') });
  // Published later (18+), with a private cast member and persona that must not go with it.
  await d.call('scenario.create', { title: 'Fog', setting: 'Fog over the harbour.', characterIds: [shared, other], personaId: persona });
  await d.call('scenario.create', { title: 'Private', setting: canary('other-scenario') });
  const { id: conv } = await d.call('conversation.create', { title: canary('conversation-title'), characterIds: [shared], personaId: persona });
  await d.call('conversation.addMessage', { id: conv, role: 'user', text: canary('message') });
  return shared;
}

for (const backend of backends) {
  describe(`public sharing: ${backend.name}`, () => {
    it('publishes exactly one character, nothing private, nothing of the account; browse, 18+ gate, import, unpublish', async () => {
      const relay = await backend.start();
      const proxy = await recordingProxy(relay.url);
      const author = await firstDevice(relay.url);
      const reader = await openDevice();
      try {
        await reader.call('vault.create', { passphrase: PASS });
        const shared = await fillPrivate(author);
        await author.call('sync.now', {}).catch(() => undefined);

        // Published through the proxy, so every byte that leaves is seen.
        const pub = await author.call('gallery.publish', { recordId: shared, mature: false, relayUrl: proxy.url });
        expect(pub).toMatchObject({ galleryId: expect.stringMatching(/^[0-9a-f]{32}$/), mature: false });
        expect(await author.call('gallery.status', { recordId: shared })).toEqual({ published: pub });

        // Nothing of the sync account in what was sent, and the publishing key is not an account or device key.
        const status = await author.call('sync.status', {});
        const ids = [status.accountId!, status.deviceId!];
        expect(ids.every((i) => /^[0-9a-f]{64}$/.test(i))).toBe(true);
        const sent = Buffer.concat(proxy.seen);
        for (const i of ids) for (const form of [i, Buffer.from(i, 'hex').toString('base64'), Buffer.from(i, 'hex').toString('base64url')]) expect(sent.includes(Buffer.from(form))).toBe(false);
        noCanary('the publish request', sent);

        // The gallery holds exactly that character, and nothing private anywhere in its tables or answers.
        const listing = await reader.call('gallery.list', { relayUrl: relay.url });
        expect(listing.items.map((e) => [e.id, e.name, e.tags])).toEqual([[pub.galleryId, 'Lantern Keeper', ['harbour', 'gentle']]]);
        for (const row of await backend.publicRows(relay)) noCanary('a gallery row', row);
        const http = relay.url.replace(/^ws/, 'http');
        for (const path of ['/gallery?mature=1', `/gallery/${pub.galleryId}`, `/gallery/${pub.galleryId}.png`, '/gallery?q=canary&mature=1']) {
          noCanary(path, Buffer.from(await (await fetch(`${http}${path}`)).arrayBuffer()));
        }
        expect((await (await fetch(`${http}/gallery?q=${encodeURIComponent(canary('message'))}&mature=1`)).json()).items).toEqual([]);

        // 18+: hidden until the reader's age gate says 18+.
        const fogId = (await author.call('records.list', { kind: 'scenario' })).find((e) => e.title === 'Fog')!.id;
        const fog = await author.call('gallery.publish', { recordId: fogId, mature: true, relayUrl: relay.url });
        const hidden = await reader.call('gallery.list', { relayUrl: relay.url });
        expect(hidden.items.map((e) => e.id)).toEqual([pub.galleryId]);
        expect(hidden.matureHidden).toBe(true);
        await reader.call('settings.update', { showMature: true });
        const shown = await reader.call('gallery.list', { relayUrl: relay.url });
        expect(shown.items.map((e) => e.id).sort()).toEqual([pub.galleryId, fog.galleryId].sort());
        expect(shown.matureHidden).toBe(false);
        // The scenario's cast, persona and (canary) setting did not go with it; its title did.
        for (const row of await backend.publicRows(relay)) noCanary('a gallery row', row);
        const search = await reader.call('gallery.list', { text: 'lantern', relayUrl: relay.url });
        expect(search.items.map((e) => e.name)).toEqual(['Lantern Keeper']);

        // Another vault imports it through the card import: portrait and lorebook come along.
        const imported = await reader.call('gallery.import', { galleryId: pub.galleryId, relayUrl: relay.url });
        expect(imported).toMatchObject({ name: 'Lantern Keeper', kind: 'character' });
        const copy = await reader.call('character.get', { id: imported.id });
        expect(copy.character_book?.entries?.[0]?.content).toBe('The beacon never goes out.');
        expect(copy.avatar_asset).toBeDefined();
        const scenario = await reader.call('gallery.import', { galleryId: fog.galleryId, relayUrl: relay.url });
        expect(scenario.kind).toBe('scenario');
        expect(await reader.call('scenario.get', { id: scenario.id })).toMatchObject({ title: 'Fog', characterIds: [] });
        // What each card would import as, for the listing to say in words.
        expect(await reader.call('gallery.card', { galleryId: pub.galleryId, relayUrl: relay.url })).toMatchObject({ mime: 'image/png', kind: 'character' });
        expect(await reader.call('gallery.card', { galleryId: fog.galleryId, relayUrl: relay.url })).toMatchObject({ mime: 'image/png', kind: 'scenario' });

        // Unpublish: gone from the relay's storage at once, and from every answer.
        expect(await backend.count(relay)).toBe(2);
        await author.call('gallery.unpublish', { recordId: shared });
        expect(await backend.count(relay)).toBe(1);
        expect(await author.call('gallery.status', { recordId: shared })).toEqual({ published: null });
        expect((await reader.call('gallery.list', { relayUrl: relay.url })).items.map((e) => e.id)).toEqual([fog.galleryId]);
        expect((await refusal(reader.call('gallery.import', { galleryId: pub.galleryId, relayUrl: relay.url }))).code).toBe('not_found');
        await author.call('gallery.unpublish', { recordId: fogId });
        expect(await backend.count(relay)).toBe(0);

        // Only characters and scenarios are publishable; every request is in the ledger, by host, never content.
        const persona = (await author.call('records.list', { kind: 'persona' }))[0]!.id;
        expect(await refusal(author.call('gallery.publish', { recordId: persona, relayUrl: relay.url }))).toMatchObject({ code: 'usage', message: expect.stringMatching(/Only characters and scenarios/) });
        const ledger = (await author.call('ledger.list', {})).filter((e) => e.purpose === 'gallery');
        expect(ledger).toHaveLength(4);
        expect(ledger.every((e) => e.outcome === 'ok' && e.bytesOut > 0)).toBe(true);
        // The privacy center names each gallery as what it is (not as a provider), with as many requests as the
        // proxy in front of one of them actually received.
        const rows = await author.call('privacy.processors', {});
        const galleries = rows.filter((r) => r.party === 'public gallery');
        expect(galleries.map((r) => r.host).sort()).toEqual([new URL(proxy.url).host, new URL(relay.url).host].sort());
        expect(galleries.find((r) => r.host === new URL(proxy.url).host)!.requests30d).toBe(proxy.seen.length);
        expect(rows.filter((r) => r.party.startsWith('an AI provider'))).toEqual([]);
      } finally {
        await author.core.close();
        await reader.core.close();
        await proxy.close();
        await relay.close();
      }
    });
  });
}

describe('public sharing: the publishing key belongs to the vault', () => {
  it('another device of the same vault, paired later, can unpublish (the key syncs, encrypted); with no relay named, the sync relay is used', async () => {
    const relay = await startTestRelay();
    const first = await firstDevice(relay.url);
    let second: CoreDevice | undefined;
    try {
      const { id } = await first.call('character.create', { name: 'Tern' });
      // No relay named: the sync relay is used.
      const pub = await first.call('gallery.publish', { recordId: id });
      expect(pub.relay).toBe(new URL(relay.url).host);
      await first.call('sync.now', {});
      second = await pairedDevice(first, relay.url);
      await second.call('sync.now', {});
      expect(await second.call('gallery.status', { recordId: id })).toEqual({ published: pub });
      await second.call('gallery.unpublish', { recordId: id });
      expect(await backends[0]!.count(relay)).toBe(0);
    } finally {
      await second?.core.close();
      await first.core.close();
      await relay.close();
    }
  });
});

describe('public sharing: a wipe withdraws what the vault published', () => {
  it('wiping everything unpublishes every card first (the key goes with the vault) and says so; a local-only wipe does not', async () => {
    const relay = await startTestRelay();
    const first = await firstDevice(relay.url);
    let second: CoreDevice | undefined;
    try {
      const a = (await first.call('character.create', { name: 'Wren' })).id;
      const b = (await first.call('character.create', { name: 'Kite' })).id;
      await first.call('gallery.publish', { recordId: a });
      await first.call('gallery.publish', { recordId: b, mature: true });
      expect(await backends[0]!.count(relay)).toBe(2);
      await first.call('sync.now', {});
      // A local-only wipe of another device leaves the cards: the account's other devices still hold the key.
      second = await pairedDevice(first, relay.url);
      await second.call('sync.now', {});
      const local = await second.call('vault.wipe', { localOnly: true });
      expect(local.publicCards).toBeUndefined();
      expect(await backends[0]!.count(relay)).toBe(2);

      const report = await first.call('vault.wipe', {});
      expect(report.publicCards).toEqual({ withdrawn: 2, failed: 0 });
      expect(await backends[0]!.count(relay)).toBe(0);
    } finally {
      await second?.core.close();
      await first.core.close();
      await relay.close();
    }
  });
});

