/**
 * Lorebook (Character Card V2/V3 `character_book`) activation: which entries' keys appear in the last
 * `scan_depth` messages, which of those fit the book's token budget, and where they go. Semantics and every
 * choice made where the specs are silent are in docs/prompt.md ("Lorebooks").
 *
 * Matchers are compiled once per book object (WeakMap), so a 200-entry book costs a few hundred substring
 * searches over the scanned window per prompt, whatever the conversation's length.
 */
import type { LoreEntry, Lorebook } from '../../../shared/domain.std.ts';
import { applyMacros, type MacroNames } from './macros.std.ts';

/** SillyTavern's default World Info scan depth. */
export const defaultScanDepth = 2;
/** A book's token_budget, when it has none, as a share of the prompt budget (SillyTavern's default: 25 %). */
export const defaultBudgetShare = 0.25;
/** Passes over activated content when a book has recursive_scanning (the first pass is over the messages). */
export const maxRecursionPasses = 3;
/** Regex keys longer than this are ignored (never match). */
export const maxRegexLength = 256;
/** Characters of the scanned window (its end) a regex key sees, by how many unbounded quantifiers it has. */
export const regexWindowByUnbounded = [20_000, 4_000, 250] as const;

export type LorePosition = 'before_char' | 'after_char';

export interface ActivatedEntry {
  /** name, else id, else first key. */
  label: string;
  /** With {{char}}/{{user}} applied and V3 decorator lines removed. */
  content: string;
  position: LorePosition;
  tokens: number;
  /** Why it is in the prompt, for the prompt inspector. */
  reason: 'constant' | 'key matched';
}

export interface LoreSelection {
  /** Placement order: insertion_order ascending, then book order, then entry order. */
  before: ActivatedEntry[];
  after: ActivatedEntry[];
  tokens: number;
}

export interface LoreOptions {
  names: MacroNames;
  count: (text: string) => number;
  /** Token budget of a book that sets none. */
  defaultBudget: number;
  /** Space left in the prompt for all books together. */
  available: number;
  /** Tokens added per entry when joined to the prompt (the separator). */
  separatorTokens: number;
}

type Matcher = (hay: Haystack) => boolean;

interface Haystack {
  raw: string;
  lower: string;
}

interface CompiledEntry {
  index: number;
  label: string;
  content: string;
  position: LorePosition;
  order: number;
  priority: number;
  constant: boolean;
  primary: Matcher[];
  secondary: Matcher[];
  /** SillyTavern selectiveLogic: 0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL. */
  logic: number;
  exclude: Matcher[];
  scanDepth: number | undefined;
  excludeRecursion: boolean;
}

interface CompiledBook {
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

function regexMatcher(key: string, caseSensitive: boolean): Matcher | null {
  const slashed = /^\/([\s\S]+)\/([a-z]*)$/.exec(key);
  const source = slashed ? slashed[1]! : key;
  const risk = regexRisk(source);
  if (risk === null) return null;
  const flags = new Set((slashed?.[2] ?? '').split('').filter((f) => 'imsu'.includes(f)));
  if (!caseSensitive) flags.add('i');
  let re: RegExp;
  try {
    re = new RegExp(source, [...flags].join(''));
  } catch {
    return null;
  }
  const window = regexWindowByUnbounded[risk]!;
  return (hay) => re.test(hay.raw.length > window ? hay.raw.slice(-window) : hay.raw);
}

const wordChar = /[\p{L}\p{N}_]/u;

function plainMatcher(key: string, caseSensitive: boolean, wholeWords: boolean): Matcher | null {
  const needle = caseSensitive ? key : key.toLowerCase();
  if (needle.trim() === '') return null;
  if (wholeWords && wordChar.test(needle[0]!) && wordChar.test(needle[needle.length - 1]!)) {
    const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'u');
    return caseSensitive ? (hay) => hay.raw.includes(needle) && re.test(hay.raw) : (hay) => hay.lower.includes(needle) && re.test(hay.lower);
  }
  return caseSensitive ? (hay) => hay.raw.includes(needle) : (hay) => hay.lower.includes(needle);
}

// ---- compiling a book -----------------------------------------------------------------------------------------

interface Decorators {
  content: string;
  activate: boolean;
  dontActivate: boolean;
  position?: LorePosition;
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
    const [name = '', ...rest] = lines[n]!.slice(2).trim().split(/\s+/);
    const arg = rest.join(' ');
    if (name === 'activate') out.activate = true;
    else if (name === 'dont_activate') out.dontActivate = true;
    else if (name === 'position') out.position = arg.startsWith('before') ? 'before_char' : 'after_char';
    else if (name === 'scan_depth' && /^\d+$/.test(arg)) out.scanDepth = Number(arg);
    else if (name === 'additional_keys') out.additionalKeys.push(...arg.split(',').map((k) => k.trim()).filter(Boolean));
    else if (name === 'exclude_keys') out.excludeKeys.push(...arg.split(',').map((k) => k.trim()).filter(Boolean));
  }
  out.content = lines.slice(n).join('\n');
  return out;
}

function extBool(entry: LoreEntry, key: string): boolean | undefined {
  const v = entry.extensions[key];
  return typeof v === 'boolean' ? v : undefined;
}

function extNumber(entry: LoreEntry, key: string): number | undefined {
  const v = entry.extensions[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function compileEntry(entry: LoreEntry, index: number): CompiledEntry | null {
  if (entry.enabled === false) return null;
  const deco = readDecorators(entry.content);
  if (deco.dontActivate || deco.content.trim() === '') return null;
  const caseSensitive = entry.case_sensitive ?? extBool(entry, 'case_sensitive') ?? false;
  const wholeWords = extBool(entry, 'match_whole_words') ?? false;
  const compile = (keys: readonly string[]): Matcher[] =>
    keys.map((k) => (entry.use_regex ? regexMatcher(k, caseSensitive) : plainMatcher(k, caseSensitive, wholeWords))).filter((m): m is Matcher => m !== null);
  const stPosition = extNumber(entry, 'position');
  const position: LorePosition = deco.position ?? entry.position ?? (stPosition === undefined || stPosition === 0 ? 'before_char' : 'after_char');
  const scanDepth = deco.scanDepth ?? extNumber(entry, 'scan_depth');
  return {
    index,
    label: entry.name || (entry.id !== undefined && entry.id !== '' ? String(entry.id) : (entry.keys[0] ?? `entry ${index + 1}`)),
    content: deco.content,
    position,
    order: entry.insertion_order,
    priority: entry.priority ?? 0,
    constant: entry.constant === true || deco.activate,
    primary: compile([...entry.keys, ...deco.additionalKeys]),
    secondary: entry.selective ? compile(entry.secondary_keys ?? []) : [],
    logic: extNumber(entry, 'selectiveLogic') ?? 0,
    exclude: compile(deco.excludeKeys),
    scanDepth: scanDepth !== undefined && scanDepth >= 0 ? Math.floor(scanDepth) : undefined,
    excludeRecursion: extBool(entry, 'exclude_recursion') ?? false,
  };
}

const compiled = new WeakMap<Lorebook, CompiledBook>();

/** Books are treated as immutable values: an edited book is a new object (as every read from the store is). */
function compileBook(book: Lorebook): CompiledBook {
  let c = compiled.get(book);
  if (!c) {
    c = {
      entries: book.entries.map(compileEntry).filter((e): e is CompiledEntry => e !== null),
      scanDepth: book.scan_depth ?? defaultScanDepth,
      tokenBudget: book.token_budget,
      recursive: book.recursive_scanning === true,
    };
    compiled.set(book, c);
  }
  return c;
}

// ---- activation -----------------------------------------------------------------------------------------------

function makeHaystack(raw: string): Haystack {
  return { raw, lower: raw.toLowerCase() };
}

function keysMatch(e: CompiledEntry, hay: Haystack): boolean {
  if (!e.primary.some((m) => m(hay))) return false;
  if (e.exclude.some((m) => m(hay))) return false;
  if (e.secondary.length === 0) return true;
  switch (e.logic) {
    case 1:
      return !e.secondary.every((m) => m(hay));
    case 2:
      return !e.secondary.some((m) => m(hay));
    case 3:
      return e.secondary.every((m) => m(hay));
    default:
      return e.secondary.some((m) => m(hay));
  }
}

/** Entries of one book activated by the window, in book order (constant entries always). */
function activateBook(book: CompiledBook, history: readonly { text: string }[]): CompiledEntry[] {
  const windows = new Map<number, Haystack>();
  const windowOf = (depth: number): Haystack => {
    let h = windows.get(depth);
    if (!h) {
      const texts: string[] = [];
      for (let i = Math.max(0, history.length - depth); i < history.length; i++) texts.push(history[i]!.text);
      windows.set(depth, (h = makeHaystack(texts.join('\n'))));
    }
    return h;
  };
  const active = new Set<CompiledEntry>();
  for (const e of book.entries) {
    if (e.constant || keysMatch(e, windowOf(e.scanDepth ?? book.scanDepth))) active.add(e);
  }
  if (book.recursive) {
    let fresh = [...active];
    for (let pass = 0; pass < maxRecursionPasses && fresh.length > 0; pass++) {
      const hay = makeHaystack(fresh.map((e) => e.content).join('\n'));
      fresh = book.entries.filter((e) => !active.has(e) && !e.excludeRecursion && keysMatch(e, hay));
      for (const e of fresh) active.add(e);
    }
  }
  return book.entries.filter((e) => active.has(e));
}

/**
 * Activated entries of every book that fit: each book within its own token budget (and all within `available`),
 * keeping constant entries first, then higher priority, then higher insertion_order (SillyTavern's "order"),
 * then earlier in the book; an entry that does not fit is skipped and smaller ones after it may still fit.
 */
export function selectLore(books: readonly Lorebook[], history: readonly { text: string }[], opts: LoreOptions): LoreSelection {
  const kept: Array<{ e: CompiledEntry; book: number; out: ActivatedEntry }> = [];
  let total = 0;
  books.forEach((raw, bookIndex) => {
    const book = compileBook(raw);
    const candidates = activateBook(book, history).sort(
      (a, b) => Number(b.constant) - Number(a.constant) || b.priority - a.priority || b.order - a.order || a.index - b.index,
    );
    let budget = book.tokenBudget ?? opts.defaultBudget;
    for (const e of candidates) {
      const content = applyMacros(e.content, opts.names);
      const tokens = opts.count(content) + opts.separatorTokens;
      if (tokens > budget || total + tokens > opts.available) continue;
      budget -= tokens;
      total += tokens;
      kept.push({ e, book: bookIndex, out: { label: e.label, content, position: e.position, tokens, reason: e.constant ? 'constant' : 'key matched' } });
    }
  });
  kept.sort((a, b) => a.e.order - b.e.order || a.book - b.book || a.e.index - b.e.index);
  return {
    before: kept.filter((k) => k.out.position === 'before_char').map((k) => k.out),
    after: kept.filter((k) => k.out.position === 'after_char').map((k) => k.out),
    tokens: total,
  };
}

/** How many of the newest messages any entry of these books scans (the prompt's history must reach that far). */
export function scanReach(books: readonly Lorebook[]): number {
  let reach = 0;
  for (const raw of books) {
    const book = compileBook(raw);
    reach = Math.max(reach, book.scanDepth, ...book.entries.map((e) => e.scanDepth ?? 0));
  }
  return reach;
}
