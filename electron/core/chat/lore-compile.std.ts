/**
 * A lorebook entry compiled for scanning: its keys as matchers (plain, whole-word or regular expression, with the
 * regex safety rules), its V3 decorators read, and SillyTavern's World Info fields taken from `extensions` the way
 * SillyTavern itself reads a card's book (public/scripts/world-info.js `convertCharacterBook`). Compiled once per
 * book object (WeakMap): books are immutable values, an edited book is a new object.
 */
import type { LoreEntry, Lorebook } from '../../../shared/domain.std.ts';

/** A book's default scan depth (SillyTavern's `world_info_depth`). */
export const defaultScanDepth = 2;
/** SillyTavern's DEFAULT_DEPTH (at-depth entries) and DEFAULT_WEIGHT (inclusion groups). */
export const defaultEntryDepth = 4;
export const defaultGroupWeight = 100;
/** Regex keys longer than this are ignored (never match). */
export const maxRegexLength = 256;
/** Characters of the scanned window (its end) a regex key sees, by how many unbounded quantifiers it has. */
export const regexWindowByUnbounded = [20_000, 4_000, 250] as const;

/** SillyTavern's world_info_position, by name: 0 before, 1 after, 2 ANTop, 3 ANBottom, 4 atDepth, 5 EMTop, 6 EMBottom. */
export const lorePositions = ['before_char', 'after_char', 'an_top', 'an_bottom', 'depth', 'em_top', 'em_bottom'] as const;
export type LorePosition = (typeof lorePositions)[number];
/** SillyTavern's extension_prompt_roles: 0 system, 1 user, 2 assistant. */
export const loreRoles = ['system', 'user', 'assistant'] as const;
export type LoreRole = (typeof loreRoles)[number];
export const selectiveLogics = ['and_any', 'not_all', 'not_any', 'and_all'] as const;

export interface Haystack {
  raw: string;
  lower: string;
}
export type Matcher = ((hay: Haystack) => boolean) & { key: string };

export interface CompiledEntry {
  /** Index in its book. */
  index: number;
  /** Stable within the book: its id, else its index (SillyTavern's uid). */
  uid: string;
  label: string;
  content: string;
  position: LorePosition;
  depth: number;
  role: LoreRole;
  order: number;
  priority: number;
  constant: boolean;
  primary: Matcher[];
  secondary: Matcher[];
  /** 0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL. */
  logic: number;
  exclude: Matcher[];
  scanDepth: number | undefined;
  probability: number;
  useProbability: boolean;
  groups: string[];
  groupOverride: boolean;
  groupWeight: number;
  groupScoring: boolean;
  sticky: number;
  cooldown: number;
  delay: number;
  excludeRecursion: boolean;
  preventRecursion: boolean;
  /** 0: not delayed; n: activates only in recursion passes from level n on. */
  delayUntilRecursion: number;
  /** SillyTavern's `characterFilter`: only for (or, excluding) these characters or characters with these tags. */
  characterFilter: CharacterFilter | undefined;
}

export interface CharacterFilter {
  isExclude: boolean;
  names: string[];
  tags: string[];
}

/** Defaults for what an entry leaves unset (SillyTavern's global World Info settings). */
export interface CompileDefaults {
  caseSensitive?: boolean;
  matchWholeWords?: boolean;
  /** A book's scan depth when it sets none (SillyTavern's `world_info_depth`). */
  scanDepth?: number;
}

export interface CompiledBook {
  entries: CompiledEntry[];
  scanDepth: number;
  tokenBudget: number | undefined;
  recursive: boolean;
}

// ---- regex keys ---------------------------------------------------------------------------------------------

/**
 * How many unbounded quantifiers a pattern has, or null when it is unsafe to run: too long, back-references, or
 * a repeated group that itself repeats or alternates (the shapes behind catastrophic backtracking, e.g. (a+)+,
 * (a|aa)*). The scanned text is then cut so the worst case stays around 10^7 steps (regexWindowByUnbounded).
 */
export function regexRisk(source: string): number | null {
  if (source.length > maxRegexLength) return null;
  const stack: Array<{ repeats: boolean; alternates: boolean }> = [{ repeats: false, alternates: false }];
  let last: { repeats: boolean; alternates: boolean } | 'atom' | null = null;
  let unbounded = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9k]/.test(next)) return null;
      i += 2;
      last = 'atom';
    } else if (c === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      last = 'atom';
    } else if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      i++;
      last = null;
    } else if (c === ')') {
      const group = stack.pop();
      const parent = stack[stack.length - 1];
      if (!group || !parent) return null;
      if (group.repeats) parent.repeats = true;
      i++;
      last = group;
    } else if (c === '|') {
      stack[stack.length - 1]!.alternates = true;
      i++;
      last = null;
    } else {
      const brace = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
      if (c === '*' || c === '+' || c === '?' || brace) {
        const max = brace ? (brace[2] === undefined ? Number(brace[1]) : brace[3] === '' ? Infinity : Number(brace[3])) : c === '?' ? 1 : Infinity;
        if (max > 1) {
          if (last !== null && last !== 'atom' && (last.repeats || last.alternates)) return null;
          if (max > 16) unbounded++;
          stack[stack.length - 1]!.repeats = true;
        }
        i += brace ? brace[0].length : 1;
        if (source[i] === '?') i++;
        last = null;
      } else {
        i++;
        last = 'atom';
      }
    }
  }
  if (stack.length !== 1 || unbounded >= regexWindowByUnbounded.length) return null;
  return unbounded;
}

const slashedRegex = /^\/([\s\S]+)\/([a-z]*)$/;

function regexMatcher(key: string, caseSensitive: boolean, v3: boolean): Matcher | null {
  const slashed = slashedRegex.exec(key);
  const source = slashed ? slashed[1]! : key;
  const risk = regexRisk(source);
  if (risk === null) return null;
  const flags = new Set((slashed?.[2] ?? '').split('').filter((f) => 'imsu'.includes(f)));
  // A V3 regex key follows the entry's case sensitivity; a /…/flags key in a SillyTavern book (no use_regex)
  // says for itself, as SillyTavern's parseRegexFromString reads it.
  if ((v3 || !slashed) && !caseSensitive) flags.add('i');
  let re: RegExp;
  try {
    re = new RegExp(source, [...flags].join(''));
  } catch {
    return null;
  }
  const window = regexWindowByUnbounded[risk]!;
  return Object.assign((hay: Haystack) => re.test(hay.raw.length > window ? hay.raw.slice(-window) : hay.raw), { key });
}

/**
 * Letters that make a word boundary. CJK scripts are written without spaces, so a Chinese or Japanese key is a
 * whole word wherever it appears (SillyTavern's ASCII `\W` boundary has the same effect for them).
 */
const wordChar = '[[\\p{L}\\p{N}_]--[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]]';
const wordCharRe = new RegExp(wordChar, 'v');

function plainMatcher(key: string, caseSensitive: boolean, wholeWords: boolean): Matcher | null {
  const needle = caseSensitive ? key.trim() : key.trim().toLowerCase();
  if (needle === '') return null;
  // SillyTavern: a key of several words matches as a phrase even with whole-word matching.
  if (wholeWords && !/\s/.test(needle) && (wordCharRe.test(needle[0]!) || wordCharRe.test(needle[needle.length - 1]!))) {
    const escaped = needle.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const re = new RegExp(`(?<!${wordChar})${escaped}(?!${wordChar})`, 'v');
    return Object.assign(
      caseSensitive ? (hay: Haystack) => hay.raw.includes(needle) && re.test(hay.raw) : (hay: Haystack) => hay.lower.includes(needle) && re.test(hay.lower),
      { key },
    );
  }
  return Object.assign(caseSensitive ? (hay: Haystack) => hay.raw.includes(needle) : (hay: Haystack) => hay.lower.includes(needle), { key });
}

// ---- compiling ------------------------------------------------------------------------------------------------

interface Decorators {
  content: string;
  activate: boolean;
  dontActivate: boolean;
  position?: LorePosition;
  depth?: number;
  role?: LoreRole;
  scanDepth?: number;
  additionalKeys: string[];
  excludeKeys: string[];
}

/** V3 decorators: "@@name args" lines at the start of the content. Unknown ones are dropped, as the spec asks. */
function readDecorators(content: string): Decorators {
  const out: Decorators = { content, activate: false, dontActivate: false, additionalKeys: [], excludeKeys: [] };
  if (!content.startsWith('@@')) return out;
  const lines = content.split('\n');
  let n = 0;
  for (; n < lines.length && lines[n]!.startsWith('@@'); n++) {
    const [name = '', ...rest] = lines[n]!.replace(/^@@@?/, '').trim().split(/\s+/);
    const arg = rest.join(' ');
    const list = () => arg.split(',').map((k) => k.trim()).filter(Boolean);
    if (name === 'activate') out.activate = true;
    else if (name === 'dont_activate') out.dontActivate = true;
    else if (name === 'position') out.position = arg.startsWith('before') ? 'before_char' : 'after_char';
    else if (name === 'depth' && /^\d+$/.test(arg)) {
      out.position = 'depth';
      out.depth = Number(arg);
    } else if (name === 'role' && (loreRoles as readonly string[]).includes(arg)) out.role = arg as LoreRole;
    else if (name === 'scan_depth' && /^\d+$/.test(arg)) out.scanDepth = Number(arg);
    else if (name === 'additional_keys') out.additionalKeys.push(...list());
    else if (name === 'exclude_keys') out.excludeKeys.push(...list());
  }
  out.content = lines.slice(n).join('\n');
  return out;
}

const ext = (entry: LoreEntry, key: string): unknown => entry.extensions[key];
function extBool(entry: LoreEntry, key: string): boolean | undefined {
  const v = ext(entry, key);
  return typeof v === 'boolean' ? v : undefined;
}
function extNumber(entry: LoreEntry, key: string): number | undefined {
  const v = ext(entry, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

/** The entry's position: a decorator, else SillyTavern's numeric extensions.position, else the V2 field. */
function positionOf(entry: LoreEntry, deco: Decorators): LorePosition {
  if (deco.position) return deco.position;
  const st = extNumber(entry, 'position');
  if (st !== undefined && lorePositions[st]) return lorePositions[st];
  return entry.position ?? 'before_char';
}

function roleOf(entry: LoreEntry, deco: Decorators): LoreRole {
  if (deco.role) return deco.role;
  const r = ext(entry, 'role');
  if (typeof r === 'string' && (loreRoles as readonly string[]).includes(r)) return r as LoreRole;
  return loreRoles[extNumber(entry, 'role') ?? 0] ?? 'system';
}

export function entryLabel(entry: LoreEntry, index: number): string {
  return entry.name || entry.comment || (entry.id !== undefined && entry.id !== '' ? String(entry.id) : (entry.keys[0] ?? `entry ${index + 1}`));
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);

/**
 * The entry's character filter: `extensions.character_filter` (ours and a World Info import's), else the top-level
 * `character_filter` SillyTavern writes into a card's own book (`setWIOriginalDataValue`). One with no names and no
 * tags filters nothing (SillyTavern deletes such a filter).
 */
export function characterFilterOf(entry: LoreEntry): CharacterFilter | undefined {
  const raw = ext(entry, 'character_filter') ?? (entry as Record<string, unknown>)['character_filter'];
  if (typeof raw !== 'object' || raw === null) return undefined;
  const f = raw as Record<string, unknown>;
  const names = strings(f['names']);
  const tags = strings(f['tags']);
  return names.length > 0 || tags.length > 0 ? { isExclude: f['isExclude'] === true, names, tags } : undefined;
}

function compileEntry(entry: LoreEntry, index: number, defaults: CompileDefaults): CompiledEntry | null {
  if (entry.enabled === false) return null;
  const deco = readDecorators(entry.content);
  if (deco.dontActivate || deco.content.trim() === '') return null;
  const caseSensitive = entry.case_sensitive ?? extBool(entry, 'case_sensitive') ?? defaults.caseSensitive ?? false;
  const wholeWords = extBool(entry, 'match_whole_words') ?? defaults.matchWholeWords ?? false;
  // SillyTavern treats a key written /like this/ as a regex in any book; V3's use_regex makes every key one.
  const compile = (keys: readonly string[]): Matcher[] =>
    keys
      .map((k) => (entry.use_regex || slashedRegex.test(k) ? regexMatcher(k, caseSensitive, entry.use_regex === true) : plainMatcher(k, caseSensitive, wholeWords)))
      .filter((m): m is Matcher => m !== null);
  const scanDepth = deco.scanDepth ?? extNumber(entry, 'scan_depth');
  const probability = extNumber(entry, 'probability');
  const delayUntil = ext(entry, 'delay_until_recursion');
  const group = ext(entry, 'group');
  return {
    index,
    uid: entry.id !== undefined && entry.id !== '' ? String(entry.id) : String(index),
    label: entryLabel(entry, index),
    content: deco.content,
    position: positionOf(entry, deco),
    depth: Math.max(0, Math.floor(deco.depth ?? extNumber(entry, 'depth') ?? defaultEntryDepth)),
    role: roleOf(entry, deco),
    order: entry.insertion_order,
    priority: entry.priority ?? 0,
    constant: entry.constant === true || deco.activate,
    primary: compile([...entry.keys, ...deco.additionalKeys]),
    secondary: entry.selective ? compile(entry.secondary_keys ?? []) : [],
    logic: extNumber(entry, 'selectiveLogic') ?? 0,
    exclude: compile(deco.excludeKeys),
    scanDepth: scanDepth !== undefined && scanDepth >= 0 ? Math.floor(scanDepth) : undefined,
    probability: probability === undefined ? 100 : Math.min(100, Math.max(0, probability)),
    useProbability: extBool(entry, 'useProbability') ?? true,
    groups: typeof group === 'string' ? group.split(/,\s*/).filter(Boolean) : [],
    groupOverride: extBool(entry, 'group_override') ?? false,
    groupWeight: extNumber(entry, 'group_weight') ?? defaultGroupWeight,
    groupScoring: extBool(entry, 'use_group_scoring') ?? false,
    sticky: Math.max(0, Math.floor(extNumber(entry, 'sticky') ?? 0)),
    cooldown: Math.max(0, Math.floor(extNumber(entry, 'cooldown') ?? 0)),
    delay: Math.max(0, Math.floor(extNumber(entry, 'delay') ?? 0)),
    excludeRecursion: extBool(entry, 'exclude_recursion') ?? false,
    preventRecursion: extBool(entry, 'prevent_recursion') ?? false,
    delayUntilRecursion: delayUntil === true ? 1 : typeof delayUntil === 'number' && delayUntil > 0 ? Math.floor(delayUntil) : 0,
    characterFilter: characterFilterOf(entry),
  };
}

const compiled = new WeakMap<readonly LoreEntry[], Map<string, CompiledEntry[]>>();

/**
 * Entries are compiled once per entries array (and per global matching defaults): entry lists are immutable values
 * (an edited book stores a new array), and a record read from the store hands back the same array until it
 * changes, even in a new book object.
 */
export function compileBook(book: Lorebook, defaults: CompileDefaults = {}): CompiledBook {
  const key = `${defaults.caseSensitive === true}|${defaults.matchWholeWords === true}`;
  let byDefaults = compiled.get(book.entries);
  if (!byDefaults) compiled.set(book.entries, (byDefaults = new Map()));
  let entries = byDefaults.get(key);
  if (!entries) {
    entries = book.entries.map((e, i) => compileEntry(e, i, defaults)).filter((e): e is CompiledEntry => e !== null);
    byDefaults.set(key, entries);
  }
  return { entries, scanDepth: book.scan_depth ?? defaults.scanDepth ?? defaultScanDepth, tokenBudget: book.token_budget, recursive: book.recursive_scanning === true };
}

export function makeHaystack(raw: string): Haystack {
  return { raw, lower: raw.toLowerCase() };
}
