/**
 * Imports what a SillyTavern user has: chats (solo and group), a user folder (characters, chats, groups, worlds,
 * presets, personas from settings.json) or any of those files alone, and Mindstage exports. Every file is read and
 * converted before anything is written, and each item is written in its own transaction, so a bad file is
 * reported and skipped and never leaves half a record. Record ids derive from the file's content (keyed by the
 * vault's id key), so importing the same thing twice adds nothing the second time.
 */
import { createHash } from 'node:crypto';
import { CharacterFields, LorebookFields, PersonaFields, type ConversationMeta, type Message, type MessageRole } from '../../../shared/domain.std.ts';
import type { ImportCounts, ImportReport } from '../../../shared/api/transfer.std.ts';
import { stFolderOf, stFolders } from '../../../shared/import-paths.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { importCard } from '../cards/index.node.ts';
import { keyedHash, toHex } from '../crypto/sodium.node.ts';
import { putAsset } from '../docs/assets.node.ts';
import { listCatalog } from '../docs/catalog.node.ts';
import { readMeta, writeMeta } from '../docs/conversation-doc.node.ts';
import { memoryFromSillyTavern } from '../../../shared/memory.std.ts';
import { writeFields } from '../docs/fields-doc.node.ts';
import { newItemIds } from '../docs/ids.node.ts';
import { getPreset, putPreset } from '../docs/presets-doc.node.ts';
import { contextTemplates, instructTemplates, putContextTemplate, putInstructTemplate } from '../docs/templates-doc.node.ts';
import { builtinContextTemplates, builtinInstructTemplates } from '../chat/instruct-templates.std.ts';
import type { ContextTemplate, InstructTemplate } from '../chat/instruct.std.ts';
import { contextFromSt, instructFromSt, sameTemplate } from './templates.std.ts';
import type { VaultSession } from '../session.node.ts';
import { importAll } from '../api/transfer-handlers.node.ts';
import { parseStChat, parseStDate, swipesOf, type StChat, type StMessage } from './chat.std.ts';
import { groupFromSt, jsonKind, lorebookFromWorld, personasFromSettings, presetFromSt, type StGroup } from './formats.std.ts';

export interface InputFile {
  path: string;
  bytes: Uint8Array;
}

type Kind = 'settings' | 'card' | 'world' | 'preset' | 'instruct' | 'context' | 'export' | 'group' | 'chat' | 'groupChat' | 'avatar';
interface Item {
  path: string;
  kind: Kind;
  bytes: Uint8Array;
  json?: Record<string, unknown>;
}

const order: Kind[] = ['settings', 'card', 'world', 'preset', 'instruct', 'context', 'export', 'chat', 'groupChat'];
const baseName = (path: string) => path.split('/').pop() ?? path;
const stem = (path: string) => baseName(path).replace(/\.[^.]+$/, '');
const decoder = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new MindstageError('usage', 'it is not UTF-8 text.');
  }
}

function parseJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text(bytes).replace(/^\uFEFF/, ''));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;

/** What a file is: by the SillyTavern folder it sits in where that decides, by its content otherwise. */
function classify(f: InputFile): Item | string {
  const folder = stFolderOf(f.path);
  const name = baseName(f.path);
  if (folder === stFolders.avatars) return { path: f.path, kind: 'avatar', bytes: f.bytes };
  if (folder === stFolders.chats) return { path: f.path, kind: 'chat', bytes: f.bytes };
  if (folder === stFolders.groupChats) return { path: f.path, kind: 'groupChat', bytes: f.bytes };
  if (isPng(f.bytes) || isZip(f.bytes)) return { path: f.path, kind: 'card', bytes: f.bytes };
  if (/\.jsonl$/i.test(name)) return { path: f.path, kind: 'chat', bytes: f.bytes };
  const json = parseJson(f.bytes);
  if (!json) {
    // A chat whose name lost its .jsonl: its first line is a chat header or message.
    const first = (() => {
      try {
        return JSON.parse(text(f.bytes).split('\n', 1)[0] ?? '') as unknown;
      } catch {
        return undefined;
      }
    })();
    if (typeof first === 'object' && first !== null && ('user_name' in first || 'mes' in first)) return { path: f.path, kind: 'chat', bytes: f.bytes };
    if (/\.json$/i.test(name)) return 'it is not valid JSON.';
    return 'it is not a SillyTavern chat, character card, World Info or preset file, nor a Mindstage export.';
  }
  const kind = jsonKind(json);
  if (kind === undefined) return 'it is JSON but not a SillyTavern chat, character card, World Info, preset or settings file, nor a Mindstage export.';
  const map = { 'mindstage-export': 'export', world: 'world', preset: 'preset', settings: 'settings', group: 'group', card: 'card', instruct: 'instruct', context: 'context' } as const;
  return { path: f.path, kind: map[kind], bytes: f.bytes, json };
}

const zero = (): ImportCounts => ({ conversations: 0, characters: 0, lorebooks: 0, presets: 0, personas: 0 });

class Importer {
  readonly s: VaultSession;
  readonly report: ImportReport = { imported: zero(), skipped: [] };
  /** SillyTavern keys characters by avatar file name and personas by avatar too. */
  readonly charByAvatar = new Map<string, string>();
  readonly charByName = new Map<string, string>();
  readonly personaByAvatar = new Map<string, string>();
  readonly personaByName = new Map<string, string>();
  readonly avatars = new Map<string, Uint8Array>();
  readonly groups: StGroup[] = [];
  readonly existing: Set<string>;
  readonly characterId: string | undefined;

  constructor(s: VaultSession, characterId: string | undefined) {
    this.s = s;
    this.characterId = characterId;
    this.existing = new Set(Object.keys(s.catalog.getMap('records').toJSON()));
    for (const e of listCatalog(s.catalog, 'character')) this.charByName.set(e.title.toLowerCase(), e.id);
    for (const e of listCatalog(s.catalog, 'persona')) this.personaByName.set(e.title.toLowerCase(), e.id);
    for (const e of listCatalog(s.catalog, 'lorebook')) if (!this.bookByName.has(e.title.toLowerCase())) this.bookByName.set(e.title.toLowerCase(), e.id);
  }

  /** Lorebooks by name (SillyTavern names a chat's book by its file name): the vault's, then this import's. */
  readonly bookByName = new Map<string, string>();
  /** Conversations imported before whose chat named a lorebook not found then: by that name. Read on first need. */
  unlinked: Map<string, string[]> | undefined;

  note(path: string, note: string): void {
    (this.report.notes ??= []).push({ path, note });
  }

  /** A newly imported book is attached to the earlier imported chats that named it and have no chat books yet. */
  linkWaitingChats(name: string, bookId: string): void {
    if (!this.unlinked) {
      this.unlinked = new Map();
      for (const e of listCatalog(this.s.catalog, 'conversation')) {
        const meta = readMeta(this.s.record(e.id, 'conversation').doc);
        const wanted = stBookName(meta.sillytavern?.chatMetadata);
        if (wanted && !meta.lorebookIds?.length) this.unlinked.set(wanted.toLowerCase(), [...(this.unlinked.get(wanted.toLowerCase()) ?? []), e.id]);
      }
    }
    for (const id of this.unlinked.get(name.toLowerCase()) ?? []) writeMeta(this.s.record(id, 'conversation').doc, { lorebookIds: [bookId] });
    this.unlinked.delete(name.toLowerCase());
  }

  /** A record id from what was imported, so the same content maps to the same record. */
  idFor(kind: string, content: Uint8Array | string): string {
    const digest = createHash('sha256').update(content).digest('hex');
    return toHex(keyedHash(this.s.vault.subkey('idHash'), `mindstage.import.sillytavern.${kind}.${digest}`, 16));
  }

  /** Creates a record unless it exists (imported before, or deleted since); returns whether it wrote. */
  create(kind: 'character' | 'persona' | 'scenario' | 'conversation' | 'lorebook', id: string, title: string, init: Parameters<VaultSession['createRecord']>[2], createdAt?: number, then?: () => void): boolean {
    if (this.existing.has(id)) return false;
    // One transaction for the record and what follows it (a conversation's messages): nothing half-written.
    this.s.storage.transaction(() => {
      this.s.createRecord(kind, title, init, id, createdAt);
      then?.();
    });
    this.existing.add(id);
    return true;
  }

  skip(path: string, reason: string): void {
    this.report.skipped.push({ path, reason });
  }

  settings(item: Item): void {
    for (const p of personasFromSettings(item.json!)) {
      const fields = PersonaFields.parse({ name: p.name.slice(0, 1000), description: p.description });
      const id = this.idFor('persona', `${p.avatar}\n${p.name}\n${p.description}`);
      const avatar = this.avatars.get(p.avatar);
      const wrote = this.create('persona', id, fields.name, (doc) => {
        const avatarId = avatar && isPng(avatar) ? putAsset(this.s, { mime: 'image/png', bytes: avatar }) : undefined;
        writeFields(doc, avatarId ? { ...fields, avatar_asset: avatarId } : fields);
      });
      if (wrote) this.report.imported.personas++;
      this.personaByAvatar.set(p.avatar, id);
      this.personaByName.set(p.name.toLowerCase(), id);
    }
  }

  card(item: Item): void {
    const card = importCard(item.bytes, baseName(item.path));
    const id = this.idFor('character', item.bytes);
    const wrote = this.create('character', id, card.fields.name, (doc) => {
      const avatar = card.avatar ? putAsset(this.s, card.avatar) : undefined;
      writeFields(doc, avatar ? { ...card.fields, avatar_asset: avatar } : card.fields);
    });
    this.charByAvatar.set(baseName(item.path), id);
    this.charByName.set(card.fields.name.toLowerCase(), id);
    if (wrote) this.report.imported.characters++;
    else this.skip(item.path, 'already imported.');
  }

  world(item: Item): void {
    // A lorebook of its own, as in SillyTavern; attach it to a chat, character or persona, or make it global.
    const name = stem(item.path).slice(0, 1000) || 'World Info';
    const fields = LorebookFields.parse({ ...lorebookFromWorld(name, item.json!), name });
    const id = this.idFor('world', item.bytes);
    const wrote = this.create('lorebook', id, name, (doc) => writeFields(doc, fields));
    this.bookByName.set(name.toLowerCase(), id);
    if (wrote) {
      this.report.imported.lorebooks++;
      this.linkWaitingChats(name, id);
    } else this.skip(item.path, 'already imported.');
  }

  preset(item: Item): void {
    const sampling = presetFromSt(item.json!);
    const name = (typeof item.json!['name'] === 'string' && item.json!['name'].trim() !== '' ? item.json!['name'] : stem(item.path)).slice(0, 100).trim();
    const settings = this.s.systemDoc('settings').doc;
    if (getPreset(settings, name)) return this.skip(item.path, `a preset named "${name}" already exists.`);
    this.s.storage.transaction(() => putPreset(settings, { name, sampling, createdAt: this.s.now() }));
    this.report.imported.presets++;
  }

  /** Instruct and context templates count as presets in the report (SillyTavern calls them presets too). */
  template(item: Item, kind: 'instruct' | 'context'): void {
    const t = kind === 'instruct' ? instructFromSt(item.json!, stem(item.path)) : contextFromSt(item.json!, stem(item.path));
    const settings = this.s.systemDoc('settings').doc;
    const builtin = (kind === 'instruct' ? builtinInstructTemplates : builtinContextTemplates).find((x) => x.name === t.name);
    // SillyTavern ships these without an activation expression; a copy of a shipped one keeps ours, so a model
    // name still selects it.
    if (builtin && 'activation_regex' in t && t.activation_regex === '') t.activation_regex = (builtin as InstructTemplate).activation_regex;
    const existing = (kind === 'instruct' ? instructTemplates(settings) : contextTemplates(settings)).find((x) => x.name === t.name);
    if (existing && sameTemplate(existing, t)) return this.skip(item.path, 'already imported.');
    if (existing && !builtin) return this.skip(item.path, `an ${kind} template named "${t.name}" already exists.`);
    // A changed copy of a shipped template replaces it for this vault, as the user's own SillyTavern did.
    this.s.storage.transaction(() => (kind === 'instruct' ? putInstructTemplate(settings, t as InstructTemplate) : putContextTemplate(settings, t as ContextTemplate)));
    this.report.imported.presets++;
  }

  mindstageExport(item: Item): void {
    const counts = importAll(this.s, text(item.bytes));
    this.report.imported.characters += counts.characters;
    this.report.imported.personas += counts.personas;
    this.report.imported.conversations += counts.conversations;
    this.report.imported.lorebooks += counts.scenarios + counts.lorebooks;
    if (counts.characters + counts.personas + counts.conversations + counts.scenarios + counts.lorebooks === 0) this.skip(item.path, 'already imported.');
  }

  /** A character by name, created (once) when none has it: a chat whose card is not in the import still opens. */
  characterNamed(name: string): string {
    const key = name.toLowerCase();
    const known = this.charByName.get(key);
    if (known) return known;
    const fields = CharacterFields.parse({ name: name.slice(0, 1000) || 'Character' });
    const id = this.idFor('character-by-name', key);
    if (this.create('character', id, fields.name, (doc) => writeFields(doc, fields))) this.report.imported.characters++;
    this.charByName.set(key, id);
    return id;
  }

  chat(item: Item, group: StGroup | undefined): void {
    const chat = parseStChat(text(item.bytes));
    const id = this.idFor('chat', item.bytes);
    if (this.existing.has(id)) return this.skip(item.path, 'already imported.');
    let characterIds: string[];
    let title: string;
    if (group) {
      characterIds = group.members.map((avatar) => this.charByAvatar.get(avatar)).filter((c): c is string => c !== undefined);
      title = group.name;
    } else {
      const folderAvatar = stFolderOf(item.path) === stFolders.chats ? item.path.split('/').slice(-2, -1)[0] : undefined;
      const byFolder = folderAvatar === undefined ? undefined : (this.charByAvatar.get(`${folderAvatar}.png`) ?? this.charByAvatar.get(`${folderAvatar}.json`) ?? this.charByAvatar.get(`${folderAvatar}.charx`));
      const name = chat.header?.character_name ?? chat.messages.find((m) => !m.is_user)?.name ?? folderAvatar ?? stem(item.path);
      characterIds = [this.characterId ?? byFolder ?? this.characterNamed(name)];
      title = `${name} — ${chat.header?.create_date ?? stem(item.path)}`;
    }
    const messages = this.messages(chat, characterIds, group !== undefined);
    for (const m of messages) if (m.role === 'character' && m.authorId && !characterIds.includes(m.authorId)) characterIds.push(m.authorId);
    const personaId = chat.header?.user_name ? this.personaByName.get(chat.header.user_name.toLowerCase()) : undefined;
    const meta: Partial<ConversationMeta> & { createdAt: number } = {
      title: title.slice(0, 1000),
      characterIds,
      createdAt: parseStDate(chat.header?.create_date) ?? messages[0]?.createdAt ?? this.s.now(),
      sillytavern: {
        ...(chat.header?.user_name ? { userName: chat.header.user_name.slice(0, 1000) } : {}),
        ...(chat.header?.character_name ? { characterName: chat.header.character_name.slice(0, 1000) } : {}),
        ...(chat.header?.create_date ? { createDate: String(chat.header.create_date).slice(0, 1000) } : {}),
        chatMetadata: { ...(group?.chatMetadata ?? {}), ...(chat.header?.chat_metadata ?? {}) },
      },
    };
    if (personaId) meta.personaId = personaId;
    const memory = memoryFromSillyTavern(chat.messages, messages.map((m) => m.id));
    if (memory) meta.memory = memory;
    // The chat's own lorebook (SillyTavern's chat_metadata.world_info, a book's name): attached when the vault or
    // this import has it; else the name stays in the chat's SillyTavern metadata until a book of that name comes.
    const bookName = stBookName(meta.sillytavern!.chatMetadata);
    if (bookName) {
      const bookId = this.bookByName.get(bookName.toLowerCase());
      if (bookId) meta.lorebookIds = [bookId];
      else this.note(item.path, `its lorebook "${bookName}" was not found; it will be attached when a lorebook of that name is imported.`);
    }
    // Messages go straight into bounded segments (one batched write per segment), not through the head.
    this.create('conversation', id, meta.title!, (doc) => writeMeta(doc, meta), meta.createdAt, () => this.s.conversations.appendMany(id, messages));
    this.report.imported.conversations++;
  }

  messages(chat: StChat, characterIds: string[], isGroup: boolean): Message[] {
    const out: Message[] = [];
    const ids = newItemIds(chat.messages.reduce((n, m) => n + 1 + Math.max(1, m.swipes?.length ?? 0), 0));
    let next = 0;
    let last = parseStDate(chat.header?.create_date) ?? this.s.now();
    for (const m of chat.messages) {
      const { swipes, chosen } = swipesOf(m);
      const createdAt = swipes[chosen]!.sentAt ?? last;
      last = createdAt;
      const role = roleOf(m);
      const authorId = role === 'user' ? this.personaOf(m) : role === 'character' ? this.authorOf(m, characterIds, isGroup) : undefined;
      out.push({
        id: ids[next++]!,
        role,
        createdAt,
        ...(authorId ? { authorId } : {}),
        alternatives: swipes.map((sw) => ({ id: ids[next++]!, text: sw.text, createdAt: sw.sentAt ?? createdAt, status: 'complete' as const, ...(sw.reasoning ? { reasoning: sw.reasoning } : {}) })),
        chosen,
      });
    }
    return out;
  }

  personaOf(m: StMessage): string | undefined {
    const avatar = m.force_avatar ? (/[?&]file=([^&]+)/.exec(m.force_avatar)?.[1] ?? m.force_avatar.split('/').pop()) : undefined;
    const byAvatar = avatar ? this.personaByAvatar.get(decodeURIComponent(avatar)) : undefined;
    return byAvatar ?? (m.name ? this.personaByName.get(m.name.toLowerCase()) : undefined);
  }

  authorOf(m: StMessage, characterIds: string[], isGroup: boolean): string {
    if (!isGroup) return characterIds[0]!;
    const byAvatar = m.original_avatar ? this.charByAvatar.get(m.original_avatar) : undefined;
    return byAvatar ?? this.characterNamed(m.name ?? 'Character');
  }
}

/** SillyTavern's chat_metadata.world_info: the name of the chat's lorebook. */
function stBookName(chatMetadata: Record<string, unknown> | undefined): string | undefined {
  const v = chatMetadata?.['world_info'];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function roleOf(m: StMessage): MessageRole {
  if (m.is_user) return 'user';
  const type = (m.extra as { type?: unknown } | undefined)?.type;
  return type === 'narrator' ? 'narrator' : 'character';
}

/** Imports files; `progress` is told after each item. Never throws for a bad file: it is skipped with the reason. */
export function importFiles(
  s: VaultSession,
  files: readonly InputFile[],
  options: { characterId?: string; progress?: (done: number, total: number) => void } = {},
): ImportReport {
  const imp = new Importer(s, options.characterId);
  const items: Item[] = [];
  for (const f of files) {
    const c = classify(f);
    if (typeof c === 'string') imp.skip(f.path, c);
    else if (c.kind === 'avatar') imp.avatars.set(baseName(f.path), f.bytes);
    else items.push(c);
  }
  for (const g of items.filter((i) => i.kind === 'group')) imp.groups.push(groupFromSt(g.json!));
  const work = items.filter((i) => i.kind !== 'group').sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  let done = 0;
  for (const item of work) {
    try {
      switch (item.kind) {
        case 'settings': imp.settings(item); break;
        case 'card': imp.card(item); break;
        case 'world': imp.world(item); break;
        case 'preset': imp.preset(item); break;
        case 'instruct':
        case 'context': imp.template(item, item.kind); break;
        case 'export': imp.mindstageExport(item); break;
        case 'chat': imp.chat(item, undefined); break;
        case 'groupChat': {
          const chatId = stem(item.path);
          imp.chat(item, imp.groups.find((g) => g.chats.includes(chatId)) ?? { id: chatId, name: chatId, members: [], chats: [chatId], chatMetadata: {} });
          break;
        }
        default: break;
      }
    } catch (e) {
      if (!(e instanceof MindstageError)) throw e;
      imp.skip(item.path, reasonOf(e.message));
    }
    options.progress?.(++done, work.length);
  }
  return imp.report;
}

/** Errors from the card and export readers are whole sentences about "the file"; ours start lower-case. */
const reasonOf = (message: string) => message.replace(/^The file /, 'it ').replace(/^The /, 'the ');
