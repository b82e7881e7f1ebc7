/**
 * Public sharing (shared/api/gallery.std.ts): the only path by which anything of the vault leaves it in plaintext
 * for the public. It publishes exactly one record's card (cards.node.ts says what goes in), over a plain HTTP
 * request carrying nothing of the sync account, and records every request in the ledger (host, sizes, outcome).
 */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { GalleryItemView, galleryCommands } from '../../../shared/api/gallery.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { importCard } from '../cards/index.node.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { writeFields } from '../docs/fields-doc.node.ts';
import { appendLedger } from '../docs/ledger-doc.node.ts';
import { readPreferences } from '../docs/settings-doc.node.ts';
import { cardOfRecord, isScenarioCard, scenarioFromCard, type ShareableKind } from '../gallery/cards.node.ts';
import { fetchCard, galleryAddress, listGallery, newTraffic, publishCard, unpublishCard, type Traffic } from '../gallery/client.node.ts';
import { clearPublished, publishedOf, publishedView, setPublished } from '../gallery/publisher.node.ts';
import { storeCharacter } from './card-handlers.node.ts';
import type { CoreState } from './state.node.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** What importing these card bytes would make (read the way gallery.import reads them), or null if they would not import. */
function kindOf(bytes: Uint8Array): ShareableKind | null {
  try {
    return isScenarioCard(importCard(bytes, 'gallery.png')) ? 'scenario' : 'character';
  } catch (e) {
    if (e instanceof MindstageError) return null;
    throw e;
  }
}

export function galleryHandlers(state: CoreState, syncRelay: () => Promise<string | undefined>): Handlers<typeof galleryCommands> {
  const settings = () => state.requireSession().systemDoc('settings').doc;

  /** The gallery's address: the one asked for, else the relay sync uses. */
  const baseOf = async (relayUrl: string | undefined): Promise<{ base: string; relayUrl: string }> => {
    const url = relayUrl ?? (await syncRelay());
    if (!url) throw new MindstageError('usage', 'No relay to use: turn on sync with a relay, or name the relay whose gallery to use.');
    return { base: galleryAddress(url), relayUrl: url };
  };

  /** Runs one gallery request and writes its ledger entry, whatever the outcome. */
  const metered = async <T>(base: string, run: (t: Traffic) => Promise<T>): Promise<T> => {
    const traffic = newTraffic(base);
    const at = Date.now();
    let outcome = 'ok';
    try {
      return await run(traffic);
    } catch (e) {
      outcome = e instanceof MindstageError ? e.code : 'internal';
      throw e;
    } finally {
      const s = state.session;
      if (s && !s.vault.locked) appendLedger(s.systemDoc('ledger').doc, { at, host: traffic.host, purpose: 'gallery', bytesOut: traffic.bytesOut, bytesIn: traffic.bytesIn, status: traffic.status, outcome });
    }
  };

  const shareable = (recordId: string): ShareableKind => {
    const entry = getCatalogEntry(state.requireSession().catalog, recordId);
    if (!entry) throw new MindstageError('not_found', 'There is no such record.');
    if (entry.kind !== 'character' && entry.kind !== 'scenario') throw new MindstageError('usage', `Only characters and scenarios can be published; this is a ${entry.kind}.`);
    return entry.kind;
  };

  return {
    'gallery.publish': async ({ recordId, mature, relayUrl }) => {
      const s = state.requireSession();
      const kind = shareable(recordId);
      const previous = publishedOf(settings(), recordId);
      const { base, relayUrl: url } = await baseOf(relayUrl ?? previous?.relayUrl);
      const { card } = cardOfRecord(s, recordId, kind);
      const key = s.publishing.get(true)!;
      const galleryId = key.galleryIdFor(recordId);
      const entry = await metered(base, (t) => publishCard(base, key, { id: galleryId, card, mature, issuedAt: Date.now() }, t));
      const record = { galleryId, relayUrl: url, mature, publishedAt: entry.publishedAt };
      setPublished(settings(), recordId, record);
      state.emit('records.changed', { ids: [recordId] });
      return publishedView(record);
    },
    'gallery.unpublish': async ({ recordId }) => {
      const p = publishedOf(settings(), recordId);
      if (!p) throw new MindstageError('not_found', 'This record is not published.');
      const key = state.requireSession().publishing.get(false);
      if (!key) throw new MindstageError('not_found', 'This vault has no publishing key, so it has published nothing.');
      const { base } = await baseOf(p.relayUrl);
      try {
        await metered(base, (t) => unpublishCard(base, key, { id: p.galleryId, issuedAt: Date.now() }, t));
      } catch (e) {
        // Already gone from the relay (unpublished from another device, or the relay's retention): forget it here too.
        if (!(e instanceof MindstageError && e.code === 'not_found')) throw e;
      }
      clearPublished(settings(), recordId);
      state.emit('records.changed', { ids: [recordId] });
      return { galleryId: p.galleryId, relay: new URL(base).host };
    },
    'gallery.status': async ({ recordId }) => {
      const p = publishedOf(settings(), recordId);
      return { published: p ? publishedView(p) : null };
    },
    'gallery.list': async ({ text, relayUrl, offset }) => {
      const { base } = await baseOf(relayUrl);
      const showMature = readPreferences(settings()).showMature === true;
      const listing = await metered(base, (t) => listGallery(base, { ...(text ? { text } : {}), mature: showMature, ...(offset ? { offset } : {}) }, t));
      const items: GalleryItemView[] = listing.items
        // The relay filters too; the app does not rely on it.
        .filter((e) => showMature || !e.mature)
        .map((e) => ({ id: e.id, name: e.name, creator: e.creator, tags: e.tags, description: e.description, mature: e.mature, publishedAt: e.publishedAt, updatedAt: e.updatedAt, bytes: e.bytes }));
      return { relay: new URL(base).host, items, more: listing.more, matureHidden: !showMature };
    },
    'gallery.card': async ({ galleryId, relayUrl }) => {
      const { base } = await baseOf(relayUrl);
      const bytes = await metered(base, (t) => fetchCard(base, galleryId, t));
      return { mime: 'image/png', bytesBase64: b64(bytes), kind: kindOf(bytes) };
    },
    'gallery.import': async ({ galleryId, relayUrl }) => {
      const { base } = await baseOf(relayUrl);
      const bytes = await metered(base, (t) => fetchCard(base, galleryId, t));
      // Strangers' bytes: the same validation as a card file the user picked.
      const card = importCard(bytes, 'gallery.png');
      if (!isScenarioCard(card)) return { id: storeCharacter(state, card), name: card.fields.name, kind: 'character' as const };
      const fields = scenarioFromCard(card);
      const s = state.requireSession();
      const id = s.createRecord('scenario', fields.title, (doc) => writeFields(doc, fields));
      state.emit('records.changed', { ids: [id] });
      return { id, name: fields.title, kind: 'scenario' as const };
    },
  };
}
