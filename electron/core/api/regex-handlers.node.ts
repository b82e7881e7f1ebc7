/** Regex scripts: the global list and per-character consent in the settings document. */
import { randomUUID } from 'node:crypto';
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { regexCommands } from '../../../shared/api/regex.std.ts';
import { readConsent, readGlobalScripts, writeConsent, writeGlobalScripts } from '../docs/regex-doc.node.ts';
import { loadContext } from '../chat/context.node.ts';
import type { CoreState } from './state.node.ts';

export function regexHandlers(state: CoreState): Handlers<typeof regexCommands> {
  const settings = () => state.requireSession().systemDoc('settings').doc;
  return {
    'regex.list': async () => ({ scripts: readGlobalScripts(settings()), consent: Object.fromEntries(readConsent(settings())) }),
    'regex.save': async ({ scripts }) => {
      const withIds = scripts.map((s) => (s.id ? s : { ...s, id: randomUUID() }));
      writeGlobalScripts(settings(), withIds);
      return withIds;
    },
    'regex.consent': async ({ characterId, allowed }) => {
      writeConsent(settings(), characterId, allowed);
      return null;
    },
    'regex.forConversation': async ({ conversationId }) => {
      const ctx = loadContext(state.requireSession(), conversationId);
      return { scripts: ctx.regex.scripts, pending: ctx.regex.pending, userName: ctx.userName };
    },
  };
}
