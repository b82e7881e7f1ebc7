/** Lorebook records (World Info books): CRUD, SillyTavern World Info import/export, and a conversation's display context. */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { DisplayContext, LorebookRecord, lorebookCommands } from '../../../shared/api/lorebooks.std.ts';
import { hostileJsonText, hostileJsonValue } from '../../../shared/json-guard.std.ts';
import { LorebookFields, type LorebookPatch } from '../../../shared/domain.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { readPreferences, writePreferences } from '../docs/settings-doc.node.ts';
import { authorsNoteOf, loadParticipants, variablesOf } from '../chat/context.node.ts';
import { lorebookFromJson, worldFromLorebook } from '../sillytavern/world-info.std.ts';
import type { VaultSession } from '../session.node.ts';
import { readInfo } from './conversation-events.node.ts';
import { fieldRecord } from './record-handlers.node.ts';
import type { CoreState } from './state.node.ts';

/** A book may only be linked to characters and personas that exist. */
function checkLinks(s: VaultSession, f: Pick<LorebookPatch, 'characterIds' | 'personaIds'>): void {
  const check = (id: string, kind: 'character' | 'persona') => {
    const e = getCatalogEntry(s.catalog, id);
    if (!e || e.kind !== kind) throw new MindstageError('not_found', `No ${kind} with id ${id}.`, { recordId: id });
  };
  for (const id of f.characterIds ?? []) check(id, 'character');
  for (const id of f.personaIds ?? []) check(id, 'persona');
}

export function lorebookHandlers(state: CoreState): Handlers<typeof lorebookCommands> {
  const base = fieldRecord<LorebookFields, LorebookRecord>(state, 'lorebook', (f) => f.name);
  return {
    'lorebook.create': async (fields) => {
      checkLinks(state.requireSession(), fields);
      const out = await base.create(fields);
      state.emit('records.changed', { ids: [out.id] });
      return out;
    },
    'lorebook.get': async ({ id }) => {
      const r = await base.get({ id });
      return { ...r, characterIds: r.characterIds ?? [], personaIds: r.personaIds ?? [], entries: r.entries ?? [], extensions: r.extensions ?? {} };
    },
    'lorebook.update': async ({ id, patch }) => {
      checkLinks(state.requireSession(), patch);
      return base.update({ id, patch });
    },
    'lorebook.delete': async ({ id }) => {
      const s = state.requireSession();
      const settings = s.systemDoc('settings').doc;
      const global = readPreferences(settings).globalLorebookIds ?? [];
      if (global.includes(id)) writePreferences(settings, { globalLorebookIds: global.filter((x) => x !== id) });
      return base.delete({ id });
    },
    'lorebook.import': async ({ json, name }) => {
      const hostile = hostileJsonText(json, 'The lorebook file');
      if (hostile) throw new MindstageError('usage', hostile);
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        throw new MindstageError('usage', 'The lorebook file is not valid JSON. Nothing was imported.');
      }
      const bad = hostileJsonValue(value, 'The lorebook file');
      if (bad) throw new MindstageError('usage', bad);
      const book = lorebookFromJson(value, name);
      const fields = LorebookFields.safeParse({ ...book, name: book.name || name });
      if (!fields.success) throw new MindstageError('usage', `The lorebook cannot be imported: ${fields.error.issues[0]!.message}.`);
      const out = await base.create(fields.data);
      state.emit('records.changed', { ids: [out.id] });
      return { id: out.id, entries: fields.data.entries.length };
    },
    'lorebook.export': async ({ id }) => {
      const s = state.requireSession();
      const book = readFields<LorebookFields>(s.record(id, 'lorebook').doc);
      return { json: JSON.stringify(worldFromLorebook({ ...book, entries: book.entries ?? [], extensions: book.extensions ?? {} }), null, 2), name: book.name };
    },
    'conversation.displayContext': async ({ id }) => {
      const s = state.requireSession();
      const meta = readInfo(s, id);
      const { characters, persona, userName } = loadParticipants(s, meta);
      const out: DisplayContext = { userName, characters: {}, variables: variablesOf(meta) };
      for (const [cid, c] of characters) out.characters[cid] = { name: c.name, description: c.description, personality: c.personality, scenario: c.scenario, mes_example: c.mes_example };
      if (persona) out.persona = { name: persona.name, description: persona.description };
      const note = authorsNoteOf(meta);
      if (note) out.authorsNote = note;
      return out;
    },
  };
}
