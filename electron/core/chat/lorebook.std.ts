/**
 * World Info activation, a port of SillyTavern's `checkWorldInfo` (public/scripts/world-info.js): every book's
 * entries scanned together, with selective logic, timed effects (sticky, cooldown, delay), probability, inclusion
 * groups (override, weights, scoring), recursion (non-recursable, prevent further, delay until recursion with
 * levels), per-entry and per-book scan depth, and the token budget. docs/prompt.md "Lorebooks" documents it and
 * every place where we chose differently.
 */
import type { Lorebook } from '../../../shared/domain.std.ts';
import type { WorldInfoSettings } from '../../../shared/api/chat.std.ts';
import { applyMacros, type MacroEnv } from './macros.std.ts';
import { compileBook, makeHaystack, selectiveLogics, type CharacterFilter, type CompileDefaults, type CompiledBook, type CompiledEntry, type Haystack, type LorePosition, type LoreRole } from './lore-compile.std.ts';

export { regexRisk, defaultScanDepth, lorePositions, loreRoles, selectiveLogics, type LorePosition, type LoreRole } from './lore-compile.std.ts';

/** A book's token_budget, when it has none, as a share of the prompt budget (SillyTavern's default: 25 %). */
export const defaultBudgetShare = 0.25;
/** Scan loops at most (the first over the messages, the rest recursion): SillyTavern has no limit by default. */
export const maxScanLoops = 10;

/** Where a book comes from; `id` keys its entries' timed effects (SillyTavern: `${world}.${uid}`). */
export interface LoreSource {
  id: string;
  book: Lorebook;
  /** Chat books are scanned first (SillyTavern: chat lore always goes first). */
  kind?: 'chat' | 'persona' | 'character' | 'scenario' | 'global';
}

/** A timed effect in force: from chat length `start` until chat length `end`. SillyTavern's chat_metadata.timedWorldInfo. */
export interface TimedEffect {
  start: number;
  end: number;
  /** A cooldown that began when a sticky effect ended survives a chat that did not advance. */
  protected?: boolean;
}
export interface LoreTimers {
  sticky: Record<string, TimedEffect>;
  cooldown: Record<string, TimedEffect>;
}

export interface ActivatedEntry {
  label: string;
  /** Which book (its source id). */
  book: string;
  /** With macros applied and V3 decorator lines removed. */
  content: string;
  position: LorePosition;
  depth: number;
  role: LoreRole;
  order: number;
  tokens: number;
  /** Why it is in the prompt, for the prompt inspector. */
  reason: string;
}

export interface LoreSelection {
  /** Included entries in placement order (insertion_order ascending, then book, then entry). */
  entries: ActivatedEntry[];
  before: ActivatedEntry[];
  after: ActivatedEntry[];
  tokens: number;
  /** Timed effects after this activation: what a real generation stores. */
  timers: LoreTimers;
}

export interface LoreOptions {
  env: MacroEnv;
  count: (text: string) => number;
  /** Token budget of a book that sets none. */
  defaultBudget: number;
  /** Space left in the prompt for all books together. */
  available: number;
  /** Tokens added per entry when joined to the prompt (the separator). */
  separatorTokens: number;
  /** Messages in the whole chat (SillyTavern's chat.length, for timed effects); default: the history's length. */
  chatLength?: number;
  timers?: LoreTimers;
  /** For probability and inclusion-group rolls, in [0, 1). */
  random?: () => number;
  /** Recursion for every book (SillyTavern's global setting); a book's own recursive_scanning turns it on for its entries. */
  recursive?: boolean;
  /** Extra text scanned with the messages (SillyTavern's injections marked for scanning). */
  inject?: string;
  /** Global defaults: case sensitivity, whole-word matching, a book's scan depth (SillyTavern's World Info settings). */
  defaults?: CompileDefaults;
  /**
   * SillyTavern's `world_info_min_activations`: while fewer entries are active, scan one message further back (for
   * entries without a scan depth of their own), up to `minActivationsDepthMax` messages (0: the whole history given).
   */
  minActivations?: number;
  minActivationsDepthMax?: number;
  /** SillyTavern's `world_info_max_recursion_steps` (0: up to maxScanLoops); when set, min activations are off. */
  maxRecursionSteps?: number;
  /** Who the prompt is for, for entries' character filters (name, and the card's tags). */
  character?: { name: string; tags: readonly string[] };
}

/**
 * SillyTavern's character filter check (`checkWorldInfo`, the "filtered out by character" / "by tag" steps): names
 * match the character's name (SillyTavern: its card file name, which is the name unless renamed), tags the card's
 * tags by name, both ignoring case. Without a character (nobody to match) a name filter excludes nothing and
 * includes nothing; tags are not checked, as SillyTavern skips them when the character has no tag entry.
 */
export function passesCharacterFilter(filter: CharacterFilter | undefined, character: LoreOptions['character']): boolean {
  if (!filter) return true;
  if (filter.names.length > 0) {
    const name = character?.name.trim().toLowerCase();
    const included = name !== undefined && filter.names.some((n) => n.trim().toLowerCase() === name);
    if (filter.isExclude ? included : !included) return false;
  }
  if (filter.tags.length > 0 && character) {
    const tags = new Set(character.tags.map((t) => t.trim().toLowerCase()));
    const included = filter.tags.some((t) => tags.has(t.trim().toLowerCase()));
    if (filter.isExclude ? included : !included) return false;
  }
  return true;
}

interface Candidate {
  e: CompiledEntry;
  book: number;
  source: LoreSource;
  compiled: CompiledBook;
  key: string;
}

const emptyTimers = (): LoreTimers => ({ sticky: {}, cooldown: {} });

/** Applies chat advance to stored timers: ended sticky effects start their cooldown (SillyTavern `checkTimedEffects`). */
function currentTimers(stored: LoreTimers | undefined, byKey: Map<string, Candidate>, chatLength: number): { timers: LoreTimers; sticky: Set<string>; cooldown: Set<string> } {
  const timers: LoreTimers = { sticky: { ...stored?.sticky }, cooldown: { ...stored?.cooldown } };
  const sticky = new Set<string>();
  const cooldown = new Set<string>();
  for (const type of ['sticky', 'cooldown'] as const) {
    for (const [key, effect] of Object.entries(timers[type])) {
      const c = byKey.get(key);
      if (chatLength <= effect.start && !effect.protected) {
        delete timers[type][key]; // the chat did not advance (a regeneration, a deleted message)
        continue;
      }
      if (!c) {
        if (chatLength >= effect.end) delete timers[type][key]; // its book is not in this chat now
        continue;
      }
      if (!c.e[type]) {
        delete timers[type][key];
        continue;
      }
      if (chatLength >= effect.end) {
        delete timers[type][key];
        if (type === 'sticky' && c.e.cooldown) {
          timers.cooldown[key] = { start: chatLength, end: chatLength + c.e.cooldown, protected: true };
          cooldown.add(key);
        }
        continue;
      }
      (type === 'sticky' ? sticky : cooldown).add(key);
    }
  }
  return { timers, sticky, cooldown };
}

function keyMatch(e: CompiledEntry, hay: Haystack): string | null {
  const primary = e.primary.find((m) => m(hay));
  if (!primary) return null;
  if (e.exclude.some((m) => m(hay))) return null;
  if (e.secondary.length === 0) return `key "${primary.key}"`;
  const hits = e.secondary.map((m) => m(hay));
  const ok = [hits.some(Boolean), !hits.every(Boolean), !hits.some(Boolean), hits.every(Boolean)][e.logic] ?? hits.some(Boolean);
  if (!ok) return null;
  const logic = (selectiveLogics[e.logic] ?? 'and_any').replace('_', ' ').toUpperCase();
  const found = e.secondary.filter((_m, i) => hits[i]).map((m) => `"${m.key}"`);
  return `key "${primary.key}", secondary ${logic}${found.length ? ` (${found.join(', ')})` : ''}`;
}

/** SillyTavern's `getScore`: primary keys found, plus secondary ones under positive logic. */
function score(e: CompiledEntry, hay: Haystack): number {
  if (e.primary.length === 0) return 0;
  const p = e.primary.filter((m) => m(hay)).length;
  const s = e.secondary.filter((m) => m(hay)).length;
  if (e.secondary.length > 0 && (e.logic === 0 || (e.logic === 3 && s === e.secondary.length))) return p + s;
  return p;
}

/**
 * Activated entries of every book that fit: the scan (and its recursion) as SillyTavern runs it, then each book
 * within its own token budget and all within `available`, keeping sticky entries first, then constant, then
 * higher priority, then higher insertion_order; an entry that does not fit is skipped and smaller ones may still go in.
 */
export function selectLore(books: readonly (Lorebook | LoreSource)[], history: readonly { text: string }[], opts: LoreOptions): LoreSelection {
  const sources: LoreSource[] = books.map((b, i) => ('book' in b && typeof b.book === 'object' && b.book !== null && 'entries' in b.book ? (b as LoreSource) : { id: `book${i}`, book: b as Lorebook }));
  const chatLength = opts.chatLength ?? history.length;
  const random = opts.random ?? Math.random;
  const all: Candidate[] = [];
  sources.forEach((source, book) => {
    const compiled = compileBook(source.book, opts.defaults);
    for (const e of compiled.entries) if (passesCharacterFilter(e.characterFilter, opts.character)) all.push({ e, book, source, compiled, key: `${source.id}.${e.uid}` });
  });
  // SillyTavern's order of consideration: chat books first, then every other book's entries by order, highest first.
  const rank = (c: Candidate) => (c.source.kind === 'chat' ? 0 : 1);
  all.sort((a, b) => rank(a) - rank(b) || b.e.order - a.e.order || a.book - b.book || a.e.index - b.e.index);
  const byKey = new Map(all.map((c) => [c.key, c]));
  const { timers, sticky, cooldown } = currentTimers(opts.timers, byKey, chatLength);

  // ---- the scanned windows ------------------------------------------------------------------------------------
  const windows = new Map<number, string>();
  const windowText = (depth: number): string => {
    let w = windows.get(depth);
    if (w === undefined) {
      const texts: string[] = [];
      for (let i = Math.max(0, history.length - depth); i < history.length; i++) texts.push(history[i]!.text.trim());
      if (opts.inject) texts.push(opts.inject);
      windows.set(depth, (w = texts.join('\n')));
    }
    return w;
  };
  let recurse = '';
  // Min activations: how many messages further back than its own depth a book is scanned (SillyTavern's skew),
  // and whether this pass is one (it leaves the recursion text out, as SillyTavern's MIN_ACTIVATIONS state does).
  let skew = 0;
  let minPass = false;
  const depthOf = (c: Candidate): number => c.e.scanDepth ?? c.compiled.scanDepth + skew;
  const hays = new Map<string, Haystack>();
  const hayFor = (c: Candidate): Haystack => {
    const depth = depthOf(c);
    const withRecurse = recurse !== '' && !minPass;
    const id = `${depth}|${withRecurse ? recurse.length : 0}`;
    let h = hays.get(id);
    if (!h) hays.set(id, (h = makeHaystack(depth > 0 || withRecurse ? `${depth > 0 ? windowText(depth) : ''}${withRecurse ? `\n${recurse}` : ''}` : '')));
    return h;
  };

  // ---- the scan loop -------------------------------------------------------------------------------------------
  const activated = new Map<Candidate, string>(); // in activation order, with the reason
  const failedProbability = new Set<Candidate>();
  const delayLevels = [...new Set(all.filter((c) => c.e.delayUntilRecursion > 0).map((c) => c.e.delayUntilRecursion))].sort((a, b) => a - b);
  let level = delayLevels.shift() ?? 0;
  let recursion = false;
  // Text only grows from pass to pass, so an entry whose primary key missed the text it was last tested on can
  // only match now through what the last pass added: test that first (a few hundred entries × every pass over
  // the whole window was most of the cost), and the whole text only for entries it names.
  const primaryHit = new Set<Candidate>();
  const tested = new Set<Candidate>();
  let added = makeHaystack('');
  // In a min-activations pass what is new is one older message, a different one per scan depth.
  const olderMessage = new Map<number, Haystack>();
  const addedFor = (c: Candidate): Haystack => {
    if (!minPass) return added;
    if (c.e.scanDepth !== undefined) return makeHaystack(''); // its window did not grow
    const depth = depthOf(c);
    let h = olderMessage.get(depth);
    if (!h) olderMessage.set(depth, (h = makeHaystack(history[history.length - depth]?.text.trim() ?? '')));
    return h;
  };
  const primaryMatches = (c: Candidate): boolean => {
    if (primaryHit.has(c)) return true;
    const hit = c.e.primary.some((m) => m(tested.has(c) ? addedFor(c) : hayFor(c)));
    tested.add(c);
    if (hit) primaryHit.add(c);
    return hit;
  };
  const maxSteps = opts.maxRecursionSteps && opts.maxRecursionSteps > 0 ? Math.min(opts.maxRecursionSteps, maxScanLoops) : maxScanLoops;
  // SillyTavern: max recursion steps and min activations exclude each other.
  const minActivations = opts.maxRecursionSteps ? 0 : (opts.minActivations ?? 0);
  const deepest = Math.min(history.length, opts.minActivationsDepthMax && opts.minActivationsDepthMax > 0 ? opts.minActivationsDepthMax : history.length);
  const minDepthOk = () => all.some((c) => c.e.scanDepth === undefined && c.compiled.scanDepth + skew + 1 <= deepest);
  // Passes: the first and each recursion (or delay level) count as steps; min-activation passes do not.
  for (let steps = 0; ; ) {
    const thisPassIsMin = minPass;
    if (!thisPassIsMin && steps++ >= maxSteps) break;
    const found = new Map<Candidate, string>();
    // A min-activations pass is not a recursion pass (SillyTavern's MIN_ACTIVATIONS state), even after one.
    const inRecursion = recursion && !thisPassIsMin;
    for (const c of all) {
      const e = c.e;
      if (failedProbability.has(c) || activated.has(c)) continue;
      const isSticky = sticky.has(c.key);
      if (e.delay > 0 && chatLength < e.delay) continue;
      if (cooldown.has(c.key) && !isSticky) continue;
      if (!isSticky && e.delayUntilRecursion > 0 && (!inRecursion || e.delayUntilRecursion > level)) continue;
      if (inRecursion && e.excludeRecursion && !isSticky) continue;
      if (inRecursion && !isSticky && !(opts.recursive || c.compiled.recursive) && e.delayUntilRecursion === 0) continue;
      if (e.constant) found.set(c, 'constant');
      else if (isSticky) found.set(c, `sticky (until message ${timers.sticky[c.key]!.end})`);
      else if (primaryMatches(c)) {
        const why = keyMatch(e, hayFor(c));
        if (why) found.set(c, inRecursion ? `${why} in activated entries` : thisPassIsMin ? `${why} (min activations: ${depthOf(c)} messages scanned)` : why);
      }
    }
    const fresh = [...found.keys()].sort((a, b) => Number(sticky.has(b.key)) - Number(sticky.has(a.key)));
    filterGroups(fresh, activated, sticky, random, hayFor);
    const passed: Candidate[] = [];
    for (const c of fresh) {
      const rolls = c.e.useProbability && c.e.probability < 100 && !sticky.has(c.key);
      if (rolls && !(random() * 100 < c.e.probability)) {
        failedProbability.add(c);
        continue;
      }
      activated.set(c, rolls ? `${found.get(c)!}, probability ${c.e.probability}%` : found.get(c)!);
      passed.push(c);
    }
    const forRecursion = passed.filter((c) => !c.e.preventRecursion);
    const anyRecursive = opts.recursive || sources.some((s) => s.book.recursive_scanning === true);
    minPass = false;
    if (anyRecursive && (forRecursion.length > 0 || (thisPassIsMin && recurse !== ''))) {
      // After a min-activations pass, a recursion pass over the text so far (SillyTavern does the same).
      const text = forRecursion.map((c) => applyMacros(c.e.content, opts.env)).join('\n');
      if (text) recurse = `${recurse}${recurse ? '\n' : ''}${text}`;
      added = makeHaystack(thisPassIsMin ? recurse : text);
      recursion = true;
    } else if (activated.size < minActivations && minDepthOk()) {
      skew++;
      minPass = true;
      olderMessage.clear();
    } else if (delayLevels.length > 0) {
      level = delayLevels.shift()!;
      added = makeHaystack('');
      recursion = true;
    } else break;
  }

  // ---- budget ----------------------------------------------------------------------------------------------------
  const important = [...activated.keys()].sort(
    (a, b) =>
      Number(sticky.has(b.key)) - Number(sticky.has(a.key)) ||
      Number(b.e.constant) - Number(a.e.constant) ||
      b.e.priority - a.e.priority ||
      b.e.order - a.e.order ||
      a.book - b.book ||
      a.e.index - b.e.index,
  );
  const budgets = new Map<number, number>();
  const kept: Array<{ c: Candidate; out: ActivatedEntry }> = [];
  let total = 0;
  for (const c of important) {
    const budget = budgets.get(c.book) ?? c.compiled.tokenBudget ?? opts.defaultBudget;
    const content = applyMacros(c.e.content, opts.env);
    const tokens = opts.count(content) + opts.separatorTokens;
    if (tokens > budget || total + tokens > opts.available) continue;
    budgets.set(c.book, budget - tokens);
    total += tokens;
    const e = c.e;
    kept.push({ c, out: { label: e.label, book: c.source.id, content, position: e.position, depth: e.depth, role: e.role, order: e.order, tokens, reason: activated.get(c)! } });
  }

  // ---- timed effects start for what went in (SillyTavern `setTimedEffects`) -------------------------------------
  for (const { c } of kept) {
    for (const type of ['sticky', 'cooldown'] as const) {
      if (c.e[type] && !timers[type][c.key]) timers[type][c.key] = { start: chatLength, end: chatLength + c.e[type] };
    }
  }

  kept.sort((a, b) => a.c.e.order - b.c.e.order || a.c.book - b.c.book || a.c.e.index - b.c.e.index);
  const entries = kept.map((k) => k.out);
  return {
    entries,
    before: entries.filter((e) => e.position === 'before_char'),
    after: entries.filter((e) => e.position === 'after_char'),
    tokens: total,
    timers,
  };
}

/** SillyTavern's `filterByInclusionGroups`: one winner per group (sticky, then scoring, then override, then weighted roll). */
function filterGroups(fresh: Candidate[], activated: Map<Candidate, string>, sticky: Set<string>, random: () => number, hayFor: (c: Candidate) => Haystack): void {
  const groups = new Map<string, Candidate[]>();
  for (const c of fresh) for (const g of c.e.groups) groups.set(g, [...(groups.get(g) ?? []), c]);
  if (groups.size === 0) return;
  const remove = (c: Candidate) => {
    const i = fresh.indexOf(c);
    if (i >= 0) fresh.splice(i, 1);
  };
  for (const [name, members] of groups) {
    const stickyOnes = members.filter((c) => sticky.has(c.key));
    if (stickyOnes.length > 0) {
      for (const c of members) if (!stickyOnes.includes(c)) remove(c);
      continue;
    }
    let group = members.filter((c) => fresh.includes(c));
    if (group.some((c) => c.e.groupScoring)) {
      const scores = group.map((c) => score(c.e, hayFor(c)));
      const max = Math.max(...scores);
      group = group.filter((c, i) => {
        if (c.e.groupScoring && scores[i]! < max) {
          remove(c);
          return false;
        }
        return true;
      });
    }
    if ([...activated.keys()].some((c) => c.e.groups.includes(name))) {
      for (const c of group) remove(c); // the group already has its entry from an earlier pass
      continue;
    }
    if (group.length <= 1) continue;
    const override = group.filter((c) => c.e.groupOverride).sort((a, b) => b.e.order - a.e.order)[0];
    let winner = override;
    if (!winner) {
      const totalWeight = group.reduce((n, c) => n + c.e.groupWeight, 0);
      const roll = random() * totalWeight;
      let sum = 0;
      winner = group.find((c) => (sum += c.e.groupWeight) >= roll);
    }
    if (!winner) continue;
    for (const c of group) if (c !== winner) remove(c);
  }
}

export const noTimers = emptyTimers;

/** The global World Info settings as selectLore's options. */
export function loreGlobals(w: WorldInfoSettings | undefined): Partial<LoreOptions> {
  if (!w) return {};
  const defaults: CompileDefaults = {
    ...(w.caseSensitive !== undefined ? { caseSensitive: w.caseSensitive } : {}),
    ...(w.matchWholeWords !== undefined ? { matchWholeWords: w.matchWholeWords } : {}),
    ...(w.scanDepth !== undefined ? { scanDepth: w.scanDepth } : {}),
  };
  return {
    defaults,
    ...(w.minActivations ? { minActivations: w.minActivations } : {}),
    ...(w.minActivationsDepthMax ? { minActivationsDepthMax: w.minActivationsDepthMax } : {}),
    ...(w.maxRecursionSteps ? { maxRecursionSteps: w.maxRecursionSteps } : {}),
  };
}

/**
 * How many of the newest messages any entry of these books scans (the prompt's history must reach that far); with
 * min activations, as deep as they may look.
 */
export function scanReach(books: readonly (Lorebook | LoreSource)[], w?: WorldInfoSettings): number {
  let reach = w?.minActivations && !w.maxRecursionSteps && books.length > 0 ? (w.minActivationsDepthMax || 0) : 0;
  for (const b of books) {
    const raw = 'book' in b && typeof b.book === 'object' && b.book !== null && 'entries' in b.book ? (b as LoreSource).book : (b as Lorebook);
    const book = compileBook(raw, w?.scanDepth !== undefined ? { scanDepth: w.scanDepth } : {});
    reach = Math.max(reach, book.scanDepth, ...book.entries.map((e) => e.scanDepth ?? 0));
  }
  return reach;
}
