/**
 * The core's implementation of the whole API, assembled from one file per domain. `satisfies` makes a missing or
 * mistyped command a compile error.
 *
 * Chat (the openai SDK, the tokenizers), cards (zip and PNG code) and sync load on their first command: a CLI call
 * such as `conversation list` or an app that never chats does not pay for them; SillyTavern import likewise (docs/decisions.md #20).
 */
import type { CommandDefs, Handlers } from '../../../shared/api/contract.std.ts';
import { cardCommands } from '../../../shared/api/cards.std.ts';
import { chatCommands } from '../../../shared/api/chat.std.ts';
import { lorebookCommands } from '../../../shared/api/lorebooks.std.ts';
import { memoryCommands } from '../../../shared/api/memory.std.ts';
import { regexCommands } from '../../../shared/api/regex.std.ts';
import { privacyCommands } from '../../../shared/api/privacy.std.ts';
import { consentHandlers } from './consent-handlers.node.ts';
import { galleryCommands } from '../../../shared/api/gallery.std.ts';
import type { Commands } from '../../../shared/api/index.std.ts';
import { syncCommands } from '../../../shared/api/sync.std.ts';
import { transferCommands } from '../../../shared/api/transfer.std.ts';
import { conversationHandlers } from './conversation-handlers.node.ts';
import { readWindow } from './conversation-events.node.ts';
import { providerHandlers } from './provider-handlers.node.ts';
import { presetHandlers } from './preset-handlers.node.ts';
import { fieldRecordHandlers } from './record-handlers.node.ts';
import { search } from './search-handlers.node.ts';
import type { CoreState } from './state.node.ts';
import { exportAll, importAll } from './transfer-handlers.node.ts';
import { vaultHandlers } from './vault-handlers.node.ts';
import { listCatalog } from '../docs/catalog.node.ts';

/** Handlers for `defs` that import their module on the first call (once) and then delegate to it. */
export function lazyHandlers<C extends CommandDefs>(defs: C, load: () => Promise<Handlers<C>>): Handlers<C> {
  let loaded: Promise<Handlers<C>> | undefined;
  const entries = Object.keys(defs).map((name) => [
    name,
    async (input: unknown) => {
      loaded ??= load();
      const handlers = (await loaded) as Record<string, (input: unknown) => Promise<unknown>>;
      return handlers[name]!(input);
    },
  ]);
  return Object.fromEntries(entries) as Handlers<C>;
}

export function createHandlers(state: CoreState): Handlers<Commands> {
  return {
    ...vaultHandlers(state),
    ...fieldRecordHandlers(state),
    ...conversationHandlers(state),
    ...providerHandlers(state),
    ...lazyHandlers(cardCommands, async () => (await import('./card-handlers.node.ts')).cardHandlers(state)),
    ...lazyHandlers(chatCommands, async () => (await import('./chat-handlers.node.ts')).chatHandlers(state)),
    ...lazyHandlers(syncCommands, async () => (await import('./sync-handlers.node.ts')).syncHandlers(state)),
    // The relay's row needs the sync status, so the sync handlers load with it.
    ...lazyHandlers(privacyCommands, async () => {
      const sync = await import('./sync-handlers.node.ts');
      const status = sync.syncHandlers(state)['sync.status'];
      return (await import('./privacy-handlers.node.ts')).privacyHandlers(state, () => status({}), () => sync.relayUsageFor(state));
    }),
    // Which device made a choice is named by its sync id, so the sync handlers load when a choice is made.
    ...consentHandlers(state, async () => (await import('./sync-handlers.node.ts')).thisDeviceId(state)),
    // Public sharing: the card formats and the HTTP client load on first use; the default relay is sync's.
    ...lazyHandlers(galleryCommands, async () => {
      const status = (await import('./sync-handlers.node.ts')).syncHandlers(state)['sync.status'];
      return (await import('./gallery-handlers.node.ts')).galleryHandlers(state, async () => (await status({})).relayUrl);
    }),
    'conversation.window': async ({ id, beforeId, limit }) => readWindow(state, id, beforeId, limit),
    ...lazyHandlers(transferCommands, async () => (await import('./import-handlers.node.ts')).importHandlers(state)),
    ...presetHandlers(state),
    // Lazy too (these two): both read the chat context, whose prompt modules load the tokenizers (~60 MB).
    ...lazyHandlers(lorebookCommands, async () => (await import('./lorebook-handlers.node.ts')).lorebookHandlers(state)),
    ...lazyHandlers(regexCommands, async () => (await import('./regex-handlers.node.ts')).regexHandlers(state)),
    // With the chat modules: a summary is a provider request like a reply.
    ...lazyHandlers(memoryCommands, async () => (await import('./memory-handlers.node.ts')).memoryHandlers(state)),
    'records.list': async ({ kind }) => listCatalog(state.requireSession().catalog, kind),
    'search.query': async ({ text, limit }) => search(state.requireSession(), text, limit),
    'data.export': async () => ({ json: JSON.stringify(exportAll(state.requireSession()), null, 2) }),
    'data.import': async ({ json }) => {
      const s = state.requireSession();
      const counts = importAll(s, json);
      return { imported: counts.characters + counts.scenarios + counts.personas + counts.lorebooks + counts.conversations };
    },
  } satisfies Handlers<Commands>;
}
