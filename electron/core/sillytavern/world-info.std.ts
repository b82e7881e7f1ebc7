/**
 * Lorebooks to and from SillyTavern's World Info JSON (worlds/<name>.json, `{entries: {uid: entry}}`). In: a
 * World Info file (formats.std.ts `lorebookFromWorld`, SillyTavern's own `convertWorldInfoToCharacterBook`) or a
 * card's `character_book`. Out: the inverse, SillyTavern's `convertCharacterBook` read backwards
 * (public/scripts/world-info.js), so a book imported from SillyTavern goes back with every field it uses.
 */
import { Lorebook, type LoreEntry } from '../../../shared/domain.std.ts';
import { fail } from '../../../shared/result.std.ts';
import { characterFilterOf, lorePositions } from '../chat/lore-compile.std.ts';
import { jsonKind, lorebookFromWorld } from './formats.std.ts';

type Json = Record<string, unknown>;

/** Reads a World Info file or a character_book; `name` names it when the file does not. */
export function lorebookFromJson(value: unknown, name: string): Lorebook {
  if (jsonKind(value) === 'world') return lorebookFromWorld(name, value as Json);
  const v = value as Json | null;
  const book = typeof v === 'object' && v !== null && typeof v['data'] === 'object' && v['data'] !== null ? ((v['data'] as Json)['character_book'] ?? v) : v;
  if (typeof book !== 'object' || book === null || !Array.isArray((book as Json)['entries'])) {
    return fail('usage', 'The file is not a lorebook: it has no "entries" (a SillyTavern World Info file or a card\'s character_book).');
  }
  const parsed = Lorebook.safeParse(book);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail('usage', `The lorebook is malformed at ${issue.path.join('.') || 'top level'}: ${issue.message}.`);
  }
  return { ...parsed.data, name: parsed.data.name || name };
}

const ext = (e: LoreEntry, k: string, d: unknown) => (e.extensions[k] === undefined ? d : e.extensions[k]);

/** One entry as SillyTavern's World Info editor stores it (newWorldInfoEntryTemplate's fields). */
function worldEntry(e: LoreEntry, uid: number): Json {
  const stPosition = e.extensions['position'];
  const position = typeof stPosition === 'number' ? stPosition : lorePositions.indexOf(e.position ?? 'before_char');
  const role = e.extensions['role'];
  const filter = characterFilterOf(e);
  return {
    uid,
    key: e.keys,
    keysecondary: e.secondary_keys ?? [],
    comment: e.comment ?? e.name ?? '',
    content: e.content,
    constant: e.constant ?? false,
    vectorized: ext(e, 'vectorized', false),
    selective: e.selective ?? true,
    selectiveLogic: ext(e, 'selectiveLogic', 0),
    addMemo: true,
    order: e.insertion_order,
    position,
    disable: !e.enabled,
    excludeRecursion: ext(e, 'exclude_recursion', false),
    preventRecursion: ext(e, 'prevent_recursion', false),
    delayUntilRecursion: ext(e, 'delay_until_recursion', false),
    probability: ext(e, 'probability', 100),
    useProbability: ext(e, 'useProbability', true),
    depth: ext(e, 'depth', 4),
    group: ext(e, 'group', ''),
    groupOverride: ext(e, 'group_override', false),
    groupWeight: ext(e, 'group_weight', 100),
    scanDepth: ext(e, 'scan_depth', null),
    caseSensitive: e.case_sensitive ?? ext(e, 'case_sensitive', null),
    matchWholeWords: ext(e, 'match_whole_words', null),
    useGroupScoring: ext(e, 'use_group_scoring', null),
    automationId: ext(e, 'automation_id', ''),
    role: typeof role === 'string' ? Math.max(0, ['system', 'user', 'assistant'].indexOf(role)) : (role ?? 0),
    sticky: ext(e, 'sticky', 0),
    cooldown: ext(e, 'cooldown', 0),
    delay: ext(e, 'delay', 0),
    displayIndex: ext(e, 'display_index', uid),
    ...(filter ? { characterFilter: filter } : {}),
  };
}

export function worldFromLorebook(book: Lorebook): Json {
  const entries: Json = {};
  book.entries.forEach((e, i) => {
    const uid = typeof e.id === 'number' && Number.isInteger(e.id) && !(String(e.id) in entries) ? e.id : i;
    entries[String(uid)] = worldEntry(e, uid);
  });
  return { entries, ...(book.name ? { name: book.name } : {}), ...(book.description ? { description: book.description } : {}) };
}
