/** Create / read / update / delete for characters, scenarios and personas (flat field records). */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { recordCommands } from '../../../shared/api/records.std.ts';
import type { Character, CharacterFields, Persona, PersonaFields, RecordKind, Scenario, ScenarioFields } from '../../../shared/domain.std.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readFields, writeFields } from '../docs/fields-doc.node.ts';
import type { CoreState } from './state.node.ts';

type FieldKind = 'character' | 'scenario' | 'persona' | 'lorebook';

export function fieldRecord<F extends object, R>(state: CoreState, kind: FieldKind, titleOf: (f: Partial<F>) => string | undefined) {
  return {
    create: async (fields: F) => {
      const s = state.requireSession();
      const id = s.createRecord(kind, titleOf(fields) ?? '', (doc) => writeFields(doc, fields as Record<string, unknown>));
      return { id };
    },
    get: async ({ id }: { id: string }): Promise<R> => {
      const s = state.requireSession();
      const live = s.record(id, kind);
      const entry = getCatalogEntry(s.catalog, id)!;
      return { ...readFields<F>(live.doc), id, createdAt: entry.createdAt, updatedAt: entry.updatedAt } as R;
    },
    update: async ({ id, patch }: { id: string; patch: Partial<F> }) => {
      const s = state.requireSession();
      const live = s.record(id, kind);
      writeFields(live.doc, patch as Record<string, unknown>);
      s.touch(id, titleOf(patch));
      state.emit('records.changed', { ids: [id] });
      return null;
    },
    delete: async ({ id }: { id: string }) => {
      state.requireSession().deleteRecord(id, kind as RecordKind);
      state.emit('records.changed', { ids: [id] });
      return null;
    },
  };
}

export function fieldRecordHandlers(state: CoreState) {
  const character = fieldRecord<CharacterFields, Character>(state, 'character', (f) => f.name);
  const scenario = fieldRecord<ScenarioFields, Scenario>(state, 'scenario', (f) => f.title);
  const persona = fieldRecord<PersonaFields, Persona>(state, 'persona', (f) => f.name);
  return {
    'character.create': character.create,
    'character.get': character.get,
    'character.update': character.update,
    'character.delete': character.delete,
    'scenario.create': scenario.create,
    'scenario.get': scenario.get,
    'scenario.update': scenario.update,
    'scenario.delete': scenario.delete,
    'persona.create': persona.create,
    'persona.get': persona.get,
    'persona.update': persona.update,
    'persona.delete': persona.delete,
  } satisfies Partial<Handlers<typeof recordCommands>>;
}
