/**
 * The core's implementation of the whole API, assembled from one file per domain. `satisfies` makes a missing or
 * mistyped command a compile error.
 */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { Commands } from '../../../shared/api/index.std.ts';
import { cardHandlers } from './card-handlers.node.ts';
import { chatHandlers } from './chat-handlers.node.ts';
import { conversationHandlers } from './conversation-handlers.node.ts';
import { providerHandlers } from './provider-handlers.node.ts';
import { importHandlers } from './import-handlers.node.ts';
import { presetHandlers } from './preset-handlers.node.ts';
import { fieldRecordHandlers } from './record-handlers.node.ts';
import { search } from './search-handlers.node.ts';
import { syncHandlers } from './sync-handlers.node.ts';
import type { CoreState } from './state.node.ts';
import { exportAll, importAll } from './transfer-handlers.node.ts';
import { vaultHandlers } from './vault-handlers.node.ts';
import { listCatalog } from '../docs/catalog.node.ts';

export function createHandlers(state: CoreState): Handlers<Commands> {
  return {
    ...vaultHandlers(state),
    ...fieldRecordHandlers(state),
    ...conversationHandlers(state),
    ...cardHandlers(state),
    ...providerHandlers(state),
    ...chatHandlers(state),
    ...syncHandlers(state),
    ...importHandlers(state),
    ...presetHandlers(state),
    'records.list': async ({ kind }) => listCatalog(state.requireSession().catalog, kind),
    'search.query': async ({ text, limit }) => search(state.requireSession(), text, limit),
    'data.export': async () => ({ json: JSON.stringify(exportAll(state.requireSession()), null, 2) }),
    'data.import': async ({ json }) => {
      const s = state.requireSession();
      const counts = importAll(s, json);
      return { imported: counts.characters + counts.scenarios + counts.personas + counts.conversations };
    },
  } satisfies Handlers<Commands>;
}
