/** Library actions that take more than one call: duplicate, start a chat, import and export cards. */
import type { CatalogEntry } from '../../shared/domain.std.ts';
import { call } from '../lib/api.dom.ts';
import { downloadBytes, fileToBase64 } from '../lib/bytes.dom.ts';

/** Copies a character, scenario or persona as a new record titled "… (copy)". */
export async function duplicate(entry: CatalogEntry): Promise<string> {
  const { id } = entry;
  if (entry.kind === 'character') {
    const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = await call('character.get', { id });
    return (await call('character.create', { ...fields, name: `${fields.name} (copy)` })).id;
  }
  if (entry.kind === 'scenario') {
    const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = await call('scenario.get', { id });
    return (await call('scenario.create', { ...fields, title: `${fields.title} (copy)` })).id;
  }
  if (entry.kind === 'persona') {
    const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = await call('persona.get', { id });
    return (await call('persona.create', { ...fields, name: `${fields.name} (copy)` })).id;
  }
  // Only the last message matters: a conversation with messages is copied as a branch from it.
  const w = await call('conversation.window', { id, limit: 1 });
  const last = w.messages.at(-1);
  if (last) return (await call('conversation.branch', { id, messageId: last.id })).id;
  const { title, characterIds, scenarioId, personaId, provider } = w.meta;
  return (await call('conversation.create', { title: `${title} (copy)`, characterIds, scenarioId, personaId, provider })).id;
}

/**
 * The conversation to open when the user asks to chat with a character: the one with just that character changed
 * most recently, or a new one. Conversations are looked at newest first and only until one fits.
 */
export async function continueWithCharacter(characterId: string, conversations: CatalogEntry[]): Promise<string> {
  for (const c of [...conversations].sort((a, b) => b.updatedAt - a.updatedAt)) {
    const { meta } = await call('conversation.window', { id: c.id, limit: 1 }).catch(() => ({ meta: null }));
    if (meta && meta.characterIds.length === 1 && meta.characterIds[0] === characterId && !meta.scenarioId) return c.id;
  }
  return chatWithCharacter(characterId);
}

/** A new conversation with a character, opened by its greeting; the card's alternate greetings are its swipes. */
export async function chatWithCharacter(characterId: string): Promise<string> {
  const ch = await call('character.get', { id: characterId });
  return (await call('conversation.create', { title: ch.name, characterIds: [characterId], withGreeting: true })).id;
}

/**
 * A new conversation in a scenario: its characters and persona override, opened by the scenario's opening messages
 * or, when it has none, by each character's greeting (the core does both, as `conversation create` does).
 */
export async function playScenario(scenarioId: string): Promise<string> {
  const sc = await call('scenario.get', { id: scenarioId });
  return (await call('conversation.create', { title: sc.title, characterIds: sc.characterIds, scenarioId, personaId: sc.personaId, withGreeting: true })).id;
}

export const cardFiles = '.png,.json,.charx,image/png,application/json';

export async function importCards(files: Iterable<File>): Promise<{ imported: string[]; failed: string[] }> {
  const imported: string[] = [];
  const failed: string[] = [];
  for (const file of files) {
    try {
      const r = await call('cards.import', { fileName: file.name, bytesBase64: await fileToBase64(file) });
      imported.push(r.name);
    } catch (e) {
      failed.push(`${file.name}: ${e instanceof Error ? e.message : 'could not be read'}`);
    }
  }
  return { imported, failed };
}

export async function exportCard(id: string, format: 'png' | 'json' | 'charx'): Promise<void> {
  const r = await call('cards.export', { id, format });
  downloadBytes(r.fileName, r.mime, r.bytesBase64);
}
