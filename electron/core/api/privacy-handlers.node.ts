/**
 * `privacy.processors`: every party that receives anything, from the configuration as it is now (providers, the
 * relay) plus any host the ledger shows a request to in the last 30 days that is no longer configured, with the
 * ledger's counts beside each. Nothing else leaves the device (docs/chat.md "What leaves the device").
 */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { LedgerEntryView } from '../../../shared/api/chat.std.ts';
import type { HeldView, ProcessorView, privacyCommands } from '../../../shared/api/privacy.std.ts';
import { recordKinds, type RecordKind } from '../../../shared/domain.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { listCatalog } from '../docs/catalog.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { SyncStatusView } from '../../../shared/api/sync.std.ts';
import { relayAuthority } from '../../../shared/sync/signing.std.ts';
import { consentGranted } from '../docs/consent-doc.node.ts';
import { readLedger } from '../docs/ledger-doc.node.ts';
import { allPublished } from '../gallery/publisher.node.ts';
import { listProviders, type StoredProvider } from '../docs/settings-doc.node.ts';
import type { CoreState } from './state.node.ts';

const DAYS_30 = 30 * 86_400_000;
const PROVIDER_RECEIVES = [
  'prompt text: the system prompt, character, persona and scenario fields, matching lorebook entries and the recent messages of the conversation being answered',
  'portrait prompts, when a portrait is generated',
  'no account, device or vault identity',
];

const PORTRAIT_SHARED = 'the speaking character\'s portrait image with each chat request (you allowed this)';

const hostOf = (baseUrl: string): string => {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
};

export function processors(
  providers: StoredProvider[],
  ledger: LedgerEntryView[],
  sync: Pick<SyncStatusView, 'enabled' | 'relayUrl' | 'lastSyncAt'> | null,
  now: number,
  shared: { portraits: boolean; galleries?: string[] } = { portraits: false },
): ProcessorView[] {
  // Gallery requests go to a relay's public gallery, not to a provider: counted apart, whatever their host.
  const tally = (entries: LedgerEntryView[]) => {
    const byHost = new Map<string, { last: number; recent: number }>();
    for (const e of entries) {
      const h = byHost.get(e.host) ?? { last: 0, recent: 0 };
      h.last = Math.max(h.last, e.at);
      if (now - e.at <= DAYS_30) h.recent++;
      byHost.set(e.host, h);
    }
    return byHost;
  };
  const byHost = tally(ledger.filter((e) => e.purpose !== 'gallery'));
  const byGallery = tally(ledger.filter((e) => e.purpose === 'gallery'));
  const usage = (host: string) => ({ lastUsedAt: byHost.get(host)?.last ?? null, requests30d: byHost.get(host)?.recent ?? 0 });
  const out: ProcessorView[] = providers.map((p) => {
    const host = hostOf(p.baseUrl);
    // What the user allowed on top (docs/privacy.md "Consent"); text completion carries no images.
    const portraits = shared.portraits && (p.completion ?? 'chat') === 'chat' ? [PORTRAIT_SHARED] : [];
    return { party: `AI provider "${p.name}" (model ${p.model})`, host, receives: [...PROVIDER_RECEIVES, ...portraits, p.apiKey ? 'the API key saved for it' : 'no API key'], ...usage(host) };
  });
  const configured = new Set(out.map((p) => p.host));
  for (const [host, h] of byHost) {
    if (!configured.has(host) && h.recent > 0) out.push({ party: 'an AI provider no longer configured', host, receives: PROVIDER_RECEIVES, ...usage(host) });
  }
  if (sync?.enabled && sync.relayUrl) {
    out.push({
      party: 'sync relay',
      host: relayAuthority(sync.relayUrl),
      receives: ['encrypted records it cannot read (ciphertext)', 'their sizes and when they are sent', 'how many devices the account has'],
      lastUsedAt: sync.lastSyncAt ?? null,
      requests30d: null,
    });
  }
  // A public gallery: where this vault's cards are published, or which was browsed in the last 30 days.
  const galleries = new Set([...(shared.galleries ?? []), ...[...byGallery].filter(([, h]) => h.recent > 0).map(([host]) => host)]);
  for (const host of galleries) {
    out.push({
      party: 'public gallery',
      host,
      receives: ['the characters and scenarios you publish, in plain text for anyone to read (your choice, each time)', 'the searches you make when you browse it', 'a publishing key of this vault, not linked to your account or devices'],
      lastUsedAt: byGallery.get(host)?.last ?? null,
      requests30d: byGallery.get(host)?.recent ?? 0,
    });
  }
  return out;
}

type RelayCounts = Exclude<HeldView['relay'], null | { error: string }>;

/** What this device holds: records by kind (the catalog), messages (each conversation's count), bytes as stored. */
function heldLocally(s: VaultSession): HeldView['local'] {
  const records = Object.fromEntries(recordKinds.map((k) => [k, 0])) as Record<RecordKind, number>;
  let messages = 0;
  for (const e of listCatalog(s.catalog)) {
    records[e.kind]++;
    if (e.kind === 'conversation') messages += s.conversations.count(e.id);
  }
  const u = s.storage.usage();
  return { records, messages, documents: u.docs, documentBytes: u.docBytes, assets: u.assets, assetBytes: u.assetBytes };
}

export function privacyHandlers(state: CoreState, syncStatus: () => Promise<SyncStatusView>, relayUsage: () => Promise<RelayCounts | null>): Handlers<typeof privacyCommands> {
  return {
    'privacy.held': async () => {
      const local = heldLocally(state.requireSession());
      let relay: HeldView['relay'];
      try {
        relay = await relayUsage();
      } catch (e) {
        // Offline or refused: the local half still answers, and the screen says why the relay's is missing.
        if (!(e instanceof MindstageError)) throw e;
        relay = { error: e.message };
      }
      return { local, relay };
    },
    'privacy.processors': async () => {
      const s = state.requireSession();
      const ledger = readLedger(s.systemDoc('ledger').doc, Number.MAX_SAFE_INTEGER);
      const settings = s.systemDoc('settings').doc;
      const galleries = allPublished(settings).map(([, p]) => hostOf(p.relayUrl));
      return processors(listProviders(settings), ledger, await syncStatus(), Date.now(), { portraits: consentGranted(settings, 'portraits-in-chat'), galleries });
    },
  };
}
