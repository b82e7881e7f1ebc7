/**
 * Export (everything, decrypted, as JSON the user asked for) and import. The format is documented in
 * docs/export-format.md; ids are kept, so references between records survive and importing twice adds nothing.
 */
import { z } from 'zod';
import { MindstageError } from '../../../shared/result.std.ts';
import { hostileJsonText, hostileJsonValue } from '../../../shared/json-guard.std.ts';
import {
  CharacterFields,
  ConversationMeta,
  Message,
  PersonaFields,
  LorebookFields,
  RecordId,
  ScenarioFields,
  type RecordKind,
} from '../../../shared/domain.std.ts';
import { getAsset, putAsset } from '../docs/assets.node.ts';
import { getCatalogEntry, listCatalog } from '../docs/catalog.node.ts';
import { readFields, writeFields } from '../docs/fields-doc.node.ts';
import { writeMeta } from '../docs/conversation-doc.node.ts';
import { recordRef } from '../docs/ids.node.ts';
import type { VaultSession } from '../session.node.ts';
import { readConversation } from './conversation-handlers.node.ts';

export const EXPORT_FORMAT = 'mindstage-export';
export const EXPORT_VERSION = 1;

const stamps = { id: RecordId, createdAt: z.number(), updatedAt: z.number() };
const ExportFile = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int(),
  exportedAt: z.string(),
  characters: z.array(CharacterFields.extend(stamps)).default([]),
  scenarios: z.array(ScenarioFields.extend(stamps)).default([]),
  personas: z.array(PersonaFields.extend(stamps)).default([]),
  lorebooks: z.array(LorebookFields.extend(stamps)).default([]),
  conversations: z.array(ConversationMeta.extend({ ...stamps, messages: z.array(Message) })).default([]),
  assets: z.array(z.object({ id: z.string(), mime: z.string().max(200), base64: z.string() })).default([]),
});
type ExportFile = z.infer<typeof ExportFile>;

export function exportAll(s: VaultSession): ExportFile {
  const out: ExportFile = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date(s.now()).toISOString(),
    characters: [],
    scenarios: [],
    personas: [],
    lorebooks: [],
    conversations: [],
    assets: [],
  };
  const assetIds = new Set<string>();
  for (const e of listCatalog(s.catalog)) {
    const stamp = { id: e.id, createdAt: e.createdAt, updatedAt: e.updatedAt };
    if (e.kind === 'conversation') {
      const { id: _i, createdAt: _c, updatedAt: _u, ...c } = readConversation(s, e.id);
      out.conversations.push({ ...c, ...stamp });
      continue;
    }
    const fields = readFields<Record<string, unknown>>(s.repo.open(recordRef(e.id, e.kind)).doc);
    if (typeof fields['avatar_asset'] === 'string') assetIds.add(fields['avatar_asset']);
    const list = { character: out.characters, scenario: out.scenarios, persona: out.personas, lorebook: out.lorebooks }[e.kind] as unknown[];
    list.push({ ...fields, ...stamp });
  }
  for (const id of assetIds) {
    const a = getAsset(s, id);
    out.assets.push({ id, mime: a.mime, base64: Buffer.from(a.bytes).toString('base64') });
  }
  return out;
}

export interface ImportedCounts {
  characters: number;
  scenarios: number;
  personas: number;
  lorebooks: number;
  conversations: number;
}

export function importAll(s: VaultSession, json: string): ImportedCounts {
  let raw: unknown;
  const hostile = hostileJsonText(json, 'The export file');
  if (hostile) throw new MindstageError('usage', hostile);
  try {
    raw = JSON.parse(json);
  } catch {
    throw new MindstageError('usage', 'The file is not valid JSON, so it is not a Mindstage export.');
  }
  const bad = hostileJsonValue(raw, 'The export file');
  if (bad) throw new MindstageError('usage', bad);
  if ((raw as { format?: unknown })?.format !== EXPORT_FORMAT) throw new MindstageError('usage', 'The file is not a Mindstage export (its "format" is missing or different).');
  if (typeof (raw as { version?: unknown }).version === 'number' && (raw as { version: number }).version > EXPORT_VERSION) {
    throw new MindstageError('unsupported', 'This export was written by a newer Mindstage; update Mindstage to import it.');
  }
  const parsed = ExportFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MindstageError('usage', `The export file is malformed at ${issue.path.join('.') || 'top level'}: ${issue.message}. Nothing was imported.`);
  }
  const file = parsed.data;
  const imported: ImportedCounts = { characters: 0, scenarios: 0, personas: 0, lorebooks: 0, conversations: 0 };
  const fresh = (id: string) => getCatalogEntry(s.catalog, id) === undefined;
  s.storage.transaction(() => {
    for (const a of file.assets) putAsset(s, { mime: a.mime, bytes: new Uint8Array(Buffer.from(a.base64, 'base64')) }, a.id);
    const fieldKinds: [RecordKind, { id: string; createdAt: number; updatedAt: number }[], (r: Record<string, unknown>) => string, keyof ImportedCounts][] = [
      ['character', file.characters, (r) => String(r['name']), 'characters'],
      ['scenario', file.scenarios, (r) => String(r['title']), 'scenarios'],
      ['persona', file.personas, (r) => String(r['name']), 'personas'],
      ['lorebook', file.lorebooks, (r) => String(r['name']), 'lorebooks'],
    ];
    for (const [kind, records, title, counter] of fieldKinds) {
      for (const { id, createdAt, updatedAt: _u, ...fields } of records) {
        if (!fresh(id)) continue;
        s.createRecord(kind, title(fields), (doc) => writeFields(doc, fields), id, createdAt);
        imported[counter]++;
      }
    }
    for (const { id, createdAt, updatedAt: _u, messages, ...meta } of file.conversations) {
      if (!fresh(id)) continue;
      s.createRecord('conversation', meta.title, (doc) => writeMeta(doc, { ...meta, createdAt }), id, createdAt);
      s.conversations.appendMany(id, messages);
      imported.conversations++;
    }
  });
  return imported;
}
