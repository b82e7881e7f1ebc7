/** SillyTavern import and one-conversation export (electron/core/sillytavern/ does the formats). */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { transferCommands } from '../../../shared/api/transfer.std.ts';
import type { CharacterFields, PersonaFields } from '../../../shared/domain.std.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { toMarkdown, toStJsonl, toText, type ExportNames } from '../sillytavern/export.std.ts';
import { importFiles } from '../sillytavern/import.node.ts';
import type { VaultSession } from '../session.node.ts';
import { fileNameFor } from './card-handlers.node.ts';
import { readConversation } from './conversation-handlers.node.ts';
import type { CoreState } from './state.node.ts';


function namesFor(s: VaultSession, c: ReturnType<typeof readConversation>): ExportNames {
  const cache = new Map<string, string | undefined>();
  const of = (id: string | undefined) => {
    if (id === undefined) return undefined;
    if (!cache.has(id)) {
      const e = getCatalogEntry(s.catalog, id);
      const name = e && (e.kind === 'character' || e.kind === 'persona') ? readFields<Partial<CharacterFields & PersonaFields>>(s.record(id, e.kind).doc).name : undefined;
      cache.set(id, name);
    }
    return cache.get(id);
  };
  return {
    user: of(c.personaId) ?? c.sillytavern?.userName ?? of(c.messages.find((m) => m.role === 'user' && m.authorId)?.authorId) ?? 'User',
    character: of(c.characterIds[0]) ?? c.sillytavern?.characterName ?? 'Character',
    of,
  };
}

export function importHandlers(state: CoreState): Handlers<typeof transferCommands> {
  return {
    'import.files': async ({ files, characterId }) => {
      const s = state.requireSession();
      if (characterId !== undefined) s.record(characterId, 'character');
      const report = importFiles(
        s,
        files.map((f) => ({ path: f.path, bytes: new Uint8Array(Buffer.from(f.bytesBase64, 'base64')) })),
        { ...(characterId ? { characterId } : {}), progress: (done, total) => state.emit('import.progress', { done, total }) },
      );
      state.emit('records.changed', { ids: [] });
      return report;
    },
    'conversation.exportAs': async ({ id, format }) => {
      const s = state.requireSession();
      const c = readConversation(s, id);
      const names = namesFor(s, c);
      if (format === 'sillytavern') return { fileName: fileNameFor(c.title, 'jsonl', 'conversation'), mime: 'application/jsonl', text: toStJsonl(c, names) };
      if (format === 'markdown') return { fileName: fileNameFor(c.title, 'md', 'conversation'), mime: 'text/markdown', text: toMarkdown(c, names) };
      return { fileName: fileNameFor(c.title, 'txt', 'conversation'), mime: 'text/plain', text: toText(c, names) };
    },
  };
}
