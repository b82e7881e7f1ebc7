/**
 * World Info's global settings, min activations and character filters, written from SillyTavern's
 * public/scripts/world-info.js: `checkWorldInfo` (the MIN ACTIVATIONS CHECK after each pass, the "filtered out by
 * character" / "by tag" steps at the top of each pass, max recursion steps at the loop's head),
 * `WorldInfoBuffer.get` (a min-activations pass leaves the recursion text out; an entry's own scan depth does not
 * grow), `WorldInfoBuffer.matchKeys` (the global case-sensitivity and whole-word defaults when an entry sets none).
 */
import { describe, expect, it } from 'vitest';
import { Lorebook, type LoreEntry } from '../../../shared/domain.std.ts';
import { passesCharacterFilter, selectLore, type LoreOptions } from './lorebook.std.ts';
import { estimateTokens } from './tokens.std.ts';

type EntryInput = Partial<LoreEntry> & { content: string };
const book = (entries: EntryInput[], extra: Partial<Lorebook> = {}): Lorebook => Lorebook.parse({ ...extra, entries });
const said = (...texts: string[]) => texts.map((text) => ({ text }));
const opts: LoreOptions = { env: { char: 'Mira', user: 'Alex' }, count: estimateTokens, defaultBudget: 10_000, available: 100_000, separatorTokens: 2 };
const active = (books: Lorebook[], history: { text: string }[], o: Partial<LoreOptions> = {}): string[] =>
  selectLore(books, history, { ...opts, ...o }).entries.map((e) => e.content);

describe('min activations (world_info_min_activations)', () => {
  // Oldest first: the key words sit 1, 3, 4 and 6 messages from the end.
  const history = said('a troll', 'an owl', 'the river', 'the bridge', 'talk', 'a dragon');
  const b = book([
    { keys: ['dragon'], content: 'DRAGON', insertion_order: 1 },
    { keys: ['bridge'], content: 'BRIDGE', insertion_order: 2 },
    { keys: ['river'], content: 'RIVER', insertion_order: 3 },
    { keys: ['troll'], content: 'TROLL', insertion_order: 4 },
  ]);

  it('off (0): only the scan depth counts', () => {
    expect(active([b], history)).toEqual(['DRAGON']);
  });

  it('scans one message further back per pass until N entries are active, and no further', () => {
    expect(active([b], history, { minActivations: 2 })).toEqual(['DRAGON', 'BRIDGE']);
    expect(active([b], history, { minActivations: 3 })).toEqual(['DRAGON', 'BRIDGE', 'RIVER']);
  });

  it('stops at min_activations_depth_max, or at the start of the history, short of N', () => {
    expect(active([b], history, { minActivations: 4, minActivationsDepthMax: 4 })).toEqual(['DRAGON', 'BRIDGE', 'RIVER']);
    expect(active([b], history, { minActivations: 10 })).toEqual(['DRAGON', 'BRIDGE', 'RIVER', 'TROLL']);
  });

  it('does not widen an entry\'s own scan depth', () => {
    const own = book([
      { keys: ['dragon'], content: 'DRAGON' },
      { keys: ['river'], content: 'RIVER-OWN-DEPTH', extensions: { scan_depth: 2 } },
      { keys: ['troll'], content: 'TROLL' },
    ]);
    expect(active([own], history, { minActivations: 2 })).toEqual(['DRAGON', 'TROLL']);
  });

  it('is off while max recursion steps is set (SillyTavern lets only one of the two be non-zero)', () => {
    expect(active([b], history, { minActivations: 3, maxRecursionSteps: 2 })).toEqual(['DRAGON']);
  });

  it('a min-activations pass does not scan the recursion text; a recursion pass after it does', () => {
    const r = book([
      { keys: ['dragon'], content: 'It guards the bridge.', insertion_order: 1, extensions: { prevent_recursion: false } },
      { keys: ['bridge'], content: 'BRIDGE', insertion_order: 2 },
      { keys: ['owl'], content: 'OWL mentions a wizard', insertion_order: 3 },
      { keys: ['wizard'], content: 'WIZARD', insertion_order: 4 },
    ]);
    const h = said('a wizard', 'an owl', 'x', 'y', 'talk', 'a dragon');
    // Recursion: dragon → bridge (from its text). Min 3: deeper until "owl" (5 back) fires; "wizard" then fires by
    // recursion from OWL's text, before the window reaches the message that says "wizard".
    expect(active([r], h, { recursive: true, minActivations: 3 })).toEqual(['It guards the bridge.', 'BRIDGE', 'OWL mentions a wizard', 'WIZARD']);
    expect(active([r], h, { recursive: true })).toEqual(['It guards the bridge.', 'BRIDGE']);
  });
});

describe('max recursion steps (world_info_max_recursion_steps)', () => {
  const chain = book([
    { keys: ['a1'], content: 'then a2' },
    { keys: ['a2'], content: 'then a3' },
    { keys: ['a3'], content: 'END' },
  ]);
  it('counts the first pass: 1 is no recursion, 2 one level', () => {
    expect(active([chain], said('a1'), { recursive: true })).toEqual(['then a2', 'then a3', 'END']);
    expect(active([chain], said('a1'), { recursive: true, maxRecursionSteps: 1 })).toEqual(['then a2']);
    expect(active([chain], said('a1'), { recursive: true, maxRecursionSteps: 2 })).toEqual(['then a2', 'then a3']);
  });
});

describe('global matching defaults (world_info_case_sensitive, world_info_match_whole_words, world_info_depth)', () => {
  it('apply to entries that set none; an entry\'s own setting wins', () => {
    const b = book([
      { keys: ['Rose'], content: 'UNSET' },
      { keys: ['Rose'], content: 'INSENSITIVE', case_sensitive: false },
    ]);
    expect(active([b], said('a rose'))).toEqual(['UNSET', 'INSENSITIVE']);
    expect(active([b], said('a rose'), { defaults: { caseSensitive: true } })).toEqual(['INSENSITIVE']);
    const w = book([
      { keys: ['cat'], content: 'UNSET' },
      { keys: ['cat'], content: 'SUBSTRING', extensions: { match_whole_words: false } },
    ]);
    expect(active([w], said('a catalogue'))).toEqual(['UNSET', 'SUBSTRING']);
    expect(active([w], said('a catalogue'), { defaults: { matchWholeWords: true } })).toEqual(['SUBSTRING']);
    expect(active([w], said('a cat!'), { defaults: { matchWholeWords: true } })).toEqual(['UNSET', 'SUBSTRING']);
  });

  it('the global scan depth applies to books that set none', () => {
    const b = book([{ keys: ['river'], content: 'RIVER' }]);
    const h = said('the river', 'x', 'y');
    expect(active([b], h)).toEqual([]);
    expect(active([b], h, { defaults: { scanDepth: 3 } })).toEqual(['RIVER']);
    expect(active([{ ...b, scan_depth: 1 }], h, { defaults: { scanDepth: 3 } })).toEqual([]);
  });
});

describe('character filters (entry characterFilter)', () => {
  const filtered = (filter: Record<string, unknown>) => book([{ keys: ['tea'], content: 'TEA', extensions: { character_filter: filter } }]);
  const mira = { name: 'Mira', tags: ['Fantasy', 'elf'] };

  it('names: only for the named characters, or (isExclude) for everyone else', () => {
    expect(active([filtered({ names: ['Mira'] })], said('tea'), { character: mira })).toEqual(['TEA']);
    expect(active([filtered({ names: ['Bram'] })], said('tea'), { character: mira })).toEqual([]);
    expect(active([filtered({ isExclude: true, names: ['mira'] })], said('tea'), { character: mira })).toEqual([]);
    expect(active([filtered({ isExclude: true, names: ['Bram'] })], said('tea'), { character: mira })).toEqual(['TEA']);
  });

  it('tags: by the card\'s tags, ignoring case', () => {
    expect(active([filtered({ tags: ['fantasy'] })], said('tea'), { character: mira })).toEqual(['TEA']);
    expect(active([filtered({ tags: ['scifi'] })], said('tea'), { character: mira })).toEqual([]);
    expect(active([filtered({ isExclude: true, tags: ['ELF'] })], said('tea'), { character: mira })).toEqual([]);
  });

  it('an empty filter filters nothing; constant entries are filtered too; the card-book spelling is read', () => {
    expect(active([filtered({ isExclude: true, names: [], tags: [] })], said('tea'), { character: mira })).toEqual(['TEA']);
    const constant = book([{ keys: [], constant: true, content: 'ALWAYS', extensions: { character_filter: { names: ['Bram'] } } }]);
    expect(active([constant], said('x'), { character: mira })).toEqual([]);
    const cardBook = book([{ keys: ['tea'], content: 'CARD', character_filter: { isExclude: true, names: ['Mira'] } } as EntryInput]);
    expect(active([cardBook], said('tea'), { character: mira })).toEqual([]);
  });

  it('without a character a name filter includes nothing, an exclusion nothing either', () => {
    expect(passesCharacterFilter({ isExclude: false, names: ['Mira'], tags: [] }, undefined)).toBe(false);
    expect(passesCharacterFilter({ isExclude: true, names: ['Mira'], tags: [] }, undefined)).toBe(true);
    expect(passesCharacterFilter({ isExclude: false, names: [], tags: ['elf'] }, undefined)).toBe(true);
  });
});

describe('min activations after recursion (WorldInfoBuffer.get / checkWorldInfo scan states)', () => {
  it('a min-activations pass after a recursion pass still scans the entries of books without recursion', () => {
    const recursive = book([{ keys: ['dragon'], content: 'It sleeps on gold.' }, { keys: ['gold'], content: 'GOLD' }], { recursive_scanning: true });
    const plain = book([{ keys: ['river'], content: 'RIVER' }]);
    const h = said('an owl', 'the river', 'x', 'y', 'a dragon');
    // Recursion (dragon → gold) happens first; the min pass then reaches "the river" (4 back) for the other book.
    const s = selectLore([recursive, plain], h, { ...opts, minActivations: 3 });
    expect(s.entries.map((e) => e.content).sort()).toEqual(['GOLD', 'It sleeps on gold.', 'RIVER']);
    expect(s.entries.find((e) => e.content === 'RIVER')!.reason).toBe('key "river" (min activations: 4 messages scanned)');
  });
});
