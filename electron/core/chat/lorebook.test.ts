import { describe, expect, it } from 'vitest';
import { Lorebook, type LoreEntry } from '../../../shared/domain.std.ts';
import { regexRisk, selectLore, type LoreOptions } from './lorebook.std.ts';
import { estimateTokens } from './tokens.std.ts';

type EntryInput = Partial<LoreEntry> & { content: string };
const book = (entries: EntryInput[], extra: Partial<Lorebook> = {}): Lorebook => Lorebook.parse({ ...extra, entries });
const said = (...texts: string[]) => texts.map((text) => ({ text }));
const opts: LoreOptions = { env: { char: 'Mira', user: 'Alex' }, count: estimateTokens, defaultBudget: 10_000, available: 100_000, separatorTokens: 2 };
/** Contents of the selected entries, in placement order. */
const active = (books: Lorebook[], history: { text: string }[], o: Partial<LoreOptions> = {}): string[] => {
  const s = selectLore(books, history, { ...opts, ...o });
  return [...s.before, ...s.after].map((e) => e.content);
};

describe('activation by keys in the scanned window', () => {
  const dragons = book([
    { keys: ['dragon'], content: 'DRAGONS' },
    { keys: ['castle', 'keep'], content: 'CASTLE' },
    { keys: ['river'], content: 'RIVER' },
  ]);

  it('activates an entry when any of its keys appears in the last scan_depth messages (default 2), and no others', () => {
    expect(active([dragons], said('we walk', 'past the castle', 'a Dragon roars'))).toEqual(['DRAGONS', 'CASTLE']);
    expect(active([dragons], said('hello', 'nothing here'))).toEqual([]);
  });

  it('does not activate an entry whose key appears only in an older message beyond the scan depth', () => {
    const history = said('the river is cold', 'we walk on', 'a dragon roars');
    expect(active([dragons], history)).toEqual(['DRAGONS']);
    expect(active([{ ...dragons, scan_depth: 3 }], history)).toEqual(['DRAGONS', 'RIVER']);
    expect(active([{ ...dragons, scan_depth: 0 }], history)).toEqual([]);
  });

  it('matches keys without regard to case unless the entry is case-sensitive', () => {
    const b = book([
      { keys: ['Rose'], content: 'FLOWER', case_sensitive: false },
      { keys: ['Rose'], content: 'PERSON', case_sensitive: true },
    ]);
    expect(active([b], said('a red rose'))).toEqual(['FLOWER']);
    expect(active([b], said('Rose smiles'))).toEqual(['FLOWER', 'PERSON']);
    expect(active([book([{ keys: ['Rose'], content: 'ST', extensions: { case_sensitive: true } }])], said('a rose'))).toEqual([]);
  });

  it('needs a secondary key too when the entry is selective, with SillyTavern selectiveLogic', () => {
    const b = (logic?: number) =>
      book([{ keys: ['sword'], secondary_keys: ['fire', 'ice'], selective: true, content: 'X', ...(logic === undefined ? {} : { extensions: { selectiveLogic: logic } }) }]);
    expect(active([b()], said('a sword'))).toEqual([]);
    expect(active([b()], said('a sword of fire'))).toEqual(['X']);
    expect(active([b(3)], said('a sword of fire'))).toEqual([]); // AND ALL
    expect(active([b(3)], said('a sword of fire and ice'))).toEqual(['X']);
    expect(active([b(2)], said('a sword of fire'))).toEqual([]); // NOT ANY
    expect(active([b(2)], said('a plain sword'))).toEqual(['X']);
    expect(active([b(1)], said('a sword of fire'))).toEqual(['X']); // NOT ALL
    expect(active([b(1)], said('a sword of fire and ice'))).toEqual([]);
    // Not selective: secondary keys are ignored.
    expect(active([book([{ keys: ['sword'], secondary_keys: ['fire'], content: 'Y' }])], said('a sword'))).toEqual(['Y']);
  });

  it('always includes constant entries and never disabled or empty ones', () => {
    const b = book([
      { keys: [], content: 'ALWAYS', constant: true },
      { keys: ['moon'], content: 'OFF', enabled: false },
      { keys: ['moon'], content: '   ' },
      { keys: [], content: 'NO KEYS' },
    ]);
    expect(active([b], said('the moon'))).toEqual(['ALWAYS']);
    expect(active([b], [])).toEqual(['ALWAYS']);
  });

  it('matches whole words only when the entry asks for it (SillyTavern match_whole_words)', () => {
    const loose = book([{ keys: ['cat'], content: 'CAT' }]);
    const strict = book([{ keys: ['cat'], content: 'CAT', extensions: { match_whole_words: true } }]);
    expect(active([loose], said('a catalogue'))).toEqual(['CAT']);
    expect(active([strict], said('a catalogue'))).toEqual([]);
    expect(active([strict], said('the cat, sleeping'))).toEqual(['CAT']);
  });

  it('applies {{char}} and {{user}} to activated content', () => {
    expect(active([book([{ keys: ['hi'], content: '{{char}} knows {{user}}' }])], said('hi'))).toEqual(['Mira knows Alex']);
  });
});

describe('regex keys', () => {
  it('treats keys as regular expressions when use_regex is set, with or without /…/flags', () => {
    const b = book([
      { keys: ['/\\bdragons?\\b/'], use_regex: true, content: 'A' },
      { keys: ['wyrm(ling)?s'], use_regex: true, content: 'B' },
      { keys: ['/Drake/'], use_regex: true, case_sensitive: true, content: 'C' },
      { keys: ['dragon.'], content: 'D' }, // not a regex: the dot is literal
    ]);
    expect(active([b], said('two DRAGONS and wyrmlings'))).toEqual(['A', 'B']);
    expect(active([b], said('Drake, not drake'))).toEqual(['C']);
    expect(active([b], said('dragon. dragonfly'))).toEqual(['A', 'D']);
  });

  it('ignores invalid and catastrophic patterns instead of running them', () => {
    for (const p of ['(a+)+$', '(a|aa)*b', '(\\w+\\s?)*$', '(.*a){12}', '(a)\\1', '([a-z]+)*', 'a'.repeat(300), '.*.*.*x']) {
      expect(regexRisk(p), p).toBeNull();
    }
    expect(regexRisk('\\bdragons?\\b')).toBe(0);
    expect(regexRisk('(?:red|blue) (dragon|wyrm)s?')).toBe(0);
    expect(regexRisk('sword\\s*fight')).toBe(1);
    expect(regexRisk('[+*(]+x')).toBe(1);
    const evil = book([
      { keys: ['(a+)+$', '(x|xx)*y', '(unclosed'], use_regex: true, content: 'EVIL' },
      { keys: ['a'], content: 'PLAIN' },
    ]);
    // 40,000 "a"s then "!": (a+)+$ would backtrack for longer than the universe has existed.
    expect(active([evil], said(`${'a'.repeat(40_000)}!`, 'x'.repeat(5_000)))).toEqual(['PLAIN']);
  });

  it('gives a regex with an unbounded quantifier only the end of a long window', () => {
    const b = book([{ keys: ['start.*finish'], use_regex: true, content: 'R' }]);
    expect(active([b], said('start and finish'))).toEqual(['R']);
    expect(active([b], said(`start ${'-'.repeat(10_000)} finish`))).toEqual([]);
  });
});

describe('token budget, order and position', () => {
  const entry = (name: string, tokens: number, extra: Partial<LoreEntry> = {}): EntryInput => ({ keys: ['go'], name, content: 'x'.repeat(Math.round(tokens * 3.5)), ...extra });

  it("keeps activated entries within the book's token_budget, constant first, then priority, then insertion_order", () => {
    const b = book(
      [
        entry('low', 100, { priority: 1, insertion_order: 50 }),
        entry('high', 100, { priority: 5, insertion_order: 1 }),
        entry('constant', 100, { constant: true, keys: [], insertion_order: 99 }),
        entry('mid', 100, { priority: 3 }),
      ],
      { token_budget: 320 },
    );
    const s = selectLore([b], said('go'), opts);
    // 3 × (100 + 2 separator) = 306 ≤ 320; a fourth would not fit.
    expect([...s.before, ...s.after].map((e) => e.label)).toEqual(['mid', 'high', 'constant']); // placed by insertion_order
    expect(s.tokens).toBe(306);
    expect(s.tokens).toBeLessThanOrEqual(320);
  });

  it('skips an entry too large for what is left but still takes smaller ones after it', () => {
    const b = book([entry('big', 500, { priority: 9 }), entry('small', 50, { priority: 1 })], { token_budget: 200 });
    expect(selectLore([b], said('go'), opts).before.map((e) => e.label)).toEqual(['small']);
  });

  it('uses the default budget when the book sets none, and never exceeds the space left in the prompt', () => {
    const b = book([entry('a', 100), entry('b', 100), entry('c', 100)]);
    expect(selectLore([b], said('go'), { ...opts, defaultBudget: 210 }).before).toHaveLength(2);
    expect(selectLore([b], said('go'), { ...opts, available: 110 }).before).toHaveLength(1);
    expect(selectLore([b, b], said('go'), { ...opts, defaultBudget: 210, available: 350 }).tokens).toBeLessThanOrEqual(350);
  });

  it('honours before_char / after_char, and SillyTavern numeric positions when the card has no position', () => {
    const b = book([
      { keys: ['go'], content: 'A', position: 'after_char' },
      { keys: ['go'], content: 'B' },
      { keys: ['go'], content: 'C', extensions: { position: 1 } },
      { keys: ['go'], content: 'D', extensions: { position: 0 } },
    ]);
    const s = selectLore([b], said('go'), opts);
    expect(s.before.map((e) => e.content)).toEqual(['B', 'D']);
    expect(s.after.map((e) => e.content)).toEqual(['A', 'C']);
  });

  it('labels entries by name, else id, else first key', () => {
    const b = book([
      { keys: ['go'], content: '1', name: 'Named', id: 7 },
      { keys: ['go'], content: '2', id: 7 },
      { keys: ['go', 'x'], content: '3' },
    ]);
    expect(selectLore([b], said('go'), opts).before.map((e) => e.label)).toEqual(['Named', '7', 'go']);
  });
});

describe('V3 decorators and recursive scanning', () => {
  it('reads @@activate, @@dont_activate, @@position, @@additional_keys and @@exclude_keys, and strips them', () => {
    const b = book([
      { keys: [], content: '@@activate\nALWAYS' },
      { keys: ['go'], content: '@@dont_activate\nNEVER' },
      { keys: ['go'], content: '@@position after_desc\nAFTER' },
      { keys: ['zzz'], content: '@@additional_keys go, went\nEXTRA' },
      { keys: ['go'], content: '@@exclude_keys stop\n@@unknown thing\nEXCLUDED' },
    ]);
    const s = selectLore([b], said('go'), opts);
    expect(s.before.map((e) => e.content)).toEqual(['ALWAYS', 'EXTRA', 'EXCLUDED']);
    expect(s.after.map((e) => e.content)).toEqual(['AFTER']);
    expect(active([b], said('go', 'stop'))).not.toContain('EXCLUDED');
  });

  it('lets activated content activate more entries only when the book has recursive_scanning', () => {
    const entries = [
      { keys: ['tavern'], content: 'The tavern belongs to Bram.' },
      { keys: ['bram'], content: 'Bram is a retired knight.' },
      { keys: ['knight'], content: 'Knights swear by the oak.', extensions: { exclude_recursion: true } },
    ];
    expect(active([book(entries)], said('the tavern'))).toHaveLength(1);
    expect(active([book(entries, { recursive_scanning: true })], said('the tavern'))).toEqual(['The tavern belongs to Bram.', 'Bram is a retired knight.']);
  });
});
