/**
 * World Info as SillyTavern's documentation describes it (docs.sillytavern.app/usage/core-concepts/worldinfo/,
 * cross-checked against public/scripts/world-info.js `checkWorldInfo`, `filterByInclusionGroups`,
 * `WorldInfoTimedEffects` and script.js `doChatInject`, SillyTavern 1.12): each case imports a World Info book in
 * SillyTavern's own file format, attaches it to a conversation, lets the real core send a reply, and checks the
 * request the fake provider received. The section of the documentation each case follows is named in its title.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
let mira: string;

/** A World Info entry as SillyTavern writes it (newWorldInfoEntryTemplate), overridden by `e`. */
function entry(uid: number, e: Record<string, unknown>): Record<string, unknown> {
  return {
    uid,
    key: [],
    keysecondary: [],
    comment: `E${uid}`,
    content: `LORE-${uid}`,
    constant: false,
    selective: true,
    selectiveLogic: 0,
    order: 100,
    position: 0,
    disable: false,
    excludeRecursion: false,
    preventRecursion: false,
    delayUntilRecursion: false,
    probability: 100,
    useProbability: true,
    depth: 4,
    group: '',
    groupOverride: false,
    groupWeight: 100,
    scanDepth: null,
    caseSensitive: null,
    matchWholeWords: null,
    role: 0,
    sticky: 0,
    cooldown: 0,
    delay: 0,
    ...e,
  };
}

async function importBook(entries: Record<string, unknown>[]): Promise<string> {
  const json = JSON.stringify({ entries: Object.fromEntries(entries.map((e) => [String(e['uid']), e])) });
  return (await h.call('lorebook.import', { json, name: 'World' })).id;
}

type Sent = { role: string; content: string }[];

/** A conversation with the book as its chat lorebook and these messages (user first, alternating). */
async function chatWith(book: string, messages: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const id = (await h.call('conversation.create', { title: 'wi', characterIds: [mira], lorebookIds: [book], ...extra })).id;
  for (const [i, text] of messages.entries()) await h.call('conversation.addMessage', { id, role: i % 2 ? 'character' : 'user', text, ...(i % 2 ? { authorId: mira } : {}) });
  return id;
}

/** Lets the character reply (a real generation) and returns the messages the provider received. */
async function reply(id: string, userText?: string): Promise<Sent> {
  const done = nextReply(h.core, id);
  if (userText === undefined) await h.call('chat.impersonate', { conversationId: id, characterId: mira });
  else await h.call('chat.send', { conversationId: id, text: userText });
  await done;
  return (ai.chatRequests().at(-1)!.body as { messages: Sent }).messages.map(({ role, content }) => ({ role, content }));
}

const fired = (sent: Sent) => [...sent.map((m) => m.content).join('\n').matchAll(/LORE-(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);

async function sentFor(entries: Record<string, unknown>[], messages: string[]): Promise<Sent> {
  return reply(await chatWith(await importBook(entries), messages));
}

beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  mira = (await h.call('character.create', { name: 'Mira', description: 'DESCRIPTION of {{char}}.', mes_example: '<START>\n{{user}}: Hi\n{{char}}: EXAMPLE.' })).id;
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'gpt-4o-mini', contextWindow: 16_000, maxTokens: 256 });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('Keywords (docs: "Keywords", "Scan Depth", "Case-sensitive keys", "Match whole words", "Regular expressions")', () => {
  it('fires on a primary key in the scanned messages, case-insensitively, and not on a key only older messages hold', async () => {
    const sent = await sentFor([entry(1, { key: ['Kraken'] }), entry(2, { key: ['harbor'] })], ['the KRAKEN rises', 'Run.', 'Where to?', 'Away.']);
    expect(fired(sent)).toEqual([]); // default scan depth 2: the kraken message is 4 back
    expect(fired(await sentFor([entry(1, { key: ['Kraken'] })], ['Hello', 'the KRAKEN rises']))).toEqual([1]);
  });

  it('lets an entry scan deeper than the book (scanDepth)', async () => {
    expect(fired(await sentFor([entry(1, { key: ['kraken'], scanDepth: 4 })], ['the kraken rises', 'Run.', 'Where?', 'Away.']))).toEqual([1]);
  });

  it('matches case-sensitively only when asked, and whole words only when asked', async () => {
    const sent = await sentFor(
      [entry(1, { key: ['Rose'], caseSensitive: true }), entry(2, { key: ['cat'], matchWholeWords: true }), entry(3, { key: ['cat'] }), entry(4, { key: ['龙'], matchWholeWords: true })],
      ['a rose in the catalogue', '巨龙来了'],
    );
    expect(fired(sent)).toEqual([3, 4]);
  });

  it('reads a key written /like this/ as a regular expression with its flags', async () => {
    expect(fired(await sentFor([entry(1, { key: ['/drag(on|ons)\\b/i'] }), entry(2, { key: ['/Drake/'] })], ['Two DRAGONS and a drake']))).toEqual([1]);
  });
});

describe('Optional filter (docs: "Optional Filter" — AND ANY, AND ALL, NOT ANY, NOT ALL)', () => {
  it('combines secondary keys with each logic', async () => {
    const e = (uid: number, logic: number) => entry(uid, { key: ['sword'], keysecondary: ['fire', 'ice'], selectiveLogic: logic });
    const book = [e(0, 0), e(1, 1), e(2, 2), e(3, 3)];
    expect(fired(await sentFor(book, ['a sword of fire']))).toEqual([0, 1]); // AND ANY, NOT ALL
    expect(fired(await sentFor(book, ['a sword of fire and ice']))).toEqual([0, 3]); // AND ANY, AND ALL
    expect(fired(await sentFor(book, ['a plain sword']))).toEqual([1, 2]); // NOT ALL, NOT ANY
  });
});

describe('Constant, probability and the budget (docs: "Constant", "Trigger %", "Token budget")', () => {
  it('always sends constant entries, never a 0 % entry, always a 100 % one', async () => {
    const sent = await sentFor([entry(1, { constant: true }), entry(2, { key: ['go'], probability: 0 }), entry(3, { key: ['go'], probability: 100 })], ['go']);
    expect(fired(sent)).toEqual([1, 3]);
  });

  it('keeps to the book budget, the higher order first', async () => {
    const big = (uid: number, order: number) => entry(uid, { key: ['go'], order, content: `LORE-${uid} ${'lore '.repeat(150)}` });
    const book = await importBook([big(1, 10), big(2, 300), big(3, 200)]);
    await h.call('lorebook.update', { id: book, patch: { token_budget: 400 } });
    expect(fired(await reply(await chatWith(book, ['go'])))).toEqual([2, 3]);
  });
});

describe('Timed effects (docs: "Timed Effects" — sticky, cooldown, delay, counted in messages)', () => {
  it('sticky: stays in for N messages after it fired, without its key', async () => {
    const id = await chatWith(await importBook([entry(1, { key: ['storm'], sticky: 3 })]), []);
    expect(fired(await reply(id, 'a storm comes'))).toEqual([1]); // fires at chat length 1; sticky until 4
    expect(fired(await reply(id, 'calm now'))).toEqual([1]); // length 3: still stuck
    expect(fired(await reply(id, 'still calm'))).toEqual([]); // length 5: over
  });

  it('cooldown: cannot fire for N messages after it was in', async () => {
    const id = await chatWith(await importBook([entry(1, { key: ['storm'], cooldown: 3 })]), []);
    expect(fired(await reply(id, 'a storm'))).toEqual([1]); // length 1; cooling until 4
    expect(fired(await reply(id, 'another storm'))).toEqual([]); // length 3: cooling
    expect(fired(await reply(id, 'storm again'))).toEqual([1]); // length 5
  });

  it('delay: cannot fire before the chat has N messages', async () => {
    const id = await chatWith(await importBook([entry(1, { key: ['storm'], delay: 3 })]), []);
    expect(fired(await reply(id, 'a storm'))).toEqual([]); // length 1 < 3
    expect(fired(await reply(id, 'a storm'))).toEqual([1]); // length 3
  });

  it('the timed effects live in the conversation, and a regeneration at the same length does not extend them', async () => {
    const id = await chatWith(await importBook([entry(1, { key: ['storm'], sticky: 2 })]), []);
    await reply(id, 'storm');
    const c = await h.call('conversation.get', { id });
    expect(Object.values(c.loreTimers?.sticky ?? {})).toEqual([{ start: 1, end: 3 }]);
  });
});

describe('Inclusion groups (docs: "Inclusion Group", "Prioritize Inclusion", "Group Weight")', () => {
  it('sends one entry per group: the prioritized one (highest order) when any is, else one chosen by weight', async () => {
    const g = (uid: number, e: Record<string, unknown>) => entry(uid, { key: ['bell'], group: 'weather', ...e });
    expect(fired(await sentFor([g(1, { order: 50 }), g(2, { groupOverride: true, order: 10 }), g(3, { groupOverride: true, order: 90 })], ['the bell rings']))).toEqual([3]);
    for (let i = 0; i < 3; i++) {
      const one = fired(await sentFor([g(1, {}), g(2, {}), g(3, {}), entry(4, { key: ['bell'] })], ['the bell rings']));
      expect(one).toHaveLength(2);
      expect(one).toContain(4);
    }
  });
});

describe('Recursion (docs: "Recursive scanning", "Non-recursable", "Prevent further recursion", "Delay until recursion")', () => {
  it("lets entries' content trigger others, with each flag honoured", async () => {
    await h.call('settings.update', { loreRecursive: true });
    try {
      const book = [
        entry(1, { key: ['tavern'], content: 'LORE-1 The tavern belongs to Bram.' }),
        entry(2, { key: ['bram'], content: 'LORE-2 Bram was a knight of the oak.' }),
        entry(3, { key: ['knight'], excludeRecursion: true }), // non-recursable: only the chat can trigger it
        entry(4, { key: ['oak'], delayUntilRecursion: true, content: 'LORE-4 The oak is a sign.' }),
        entry(5, { key: ['tavern'], preventRecursion: true, content: 'LORE-5 The lamp (ghost) flickers.' }),
        entry(6, { key: ['ghost'] }), // only LORE-5 mentions it, and LORE-5 prevents recursion
        entry(7, { key: ['sign'], delayUntilRecursion: true }), // found only in LORE-4, itself recursion-only
      ];
      expect(fired(await sentFor(book, ['to the tavern']))).toEqual([1, 2, 4, 5, 7]);
      expect(fired(await sentFor(book, ['oak and knight']))).toEqual([3, 4, 7]); // delayed entries fire on the recursion pass
    } finally {
      await h.call('settings.update', { loreRecursive: false });
    }
  });
});

describe("Positions (docs: \"Insertion Position\"; script.js doChatInject; authors-note.js)", () => {
  it('places entries before and after the character, around the examples, around the author\'s note and at a depth with a role', async () => {
    const book = await importBook([
      entry(0, { key: ['go'], position: 0 }),
      entry(1, { key: ['go'], position: 1 }),
      entry(2, { key: ['go'], position: 2 }),
      entry(3, { key: ['go'], position: 3 }),
      entry(4, { key: ['go'], position: 4, depth: 1, role: 1 }),
      entry(5, { key: ['go'], position: 5 }),
      entry(6, { key: ['go'], position: 6 }),
      entry(7, { key: ['go'], position: 4, depth: 0, role: 0 }),
    ]);
    const id = await chatWith(book, ['go', 'Going.', 'go on'], { authorsNote: { text: 'NOTE', depth: 2, role: 'system', every: 1 } });
    const sent = await reply(id);
    const main = sent[0]!.content;
    expect(main.indexOf('LORE-0')).toBeLessThan(main.indexOf('DESCRIPTION'));
    expect(main.indexOf('LORE-1')).toBeGreaterThan(main.indexOf('DESCRIPTION'));
    expect(sent[1]).toEqual({ role: 'system', content: 'LORE-5\n\n[Example Chat]\nAlex: Hi\nMira: EXAMPLE.\n\nLORE-6'.replace(/Alex/g, 'User') });
    // history: go, Going., go on → the note at depth 2, entry 4 (user) at depth 1, entry 7 (system) at depth 0.
    expect(sent.slice(2)).toEqual([
      { role: 'user', content: 'go' },
      { role: 'system', content: 'LORE-2\nNOTE\nLORE-3' },
      { role: 'assistant', content: 'Going.' },
      { role: 'user', content: 'LORE-4' },
      { role: 'user', content: 'go on' },
      { role: 'system', content: 'LORE-7' },
    ]);
  });

  it("sends the author's note every N user messages, and the card's character note at its depth", async () => {
    const { id: ch } = await h.call('character.create', { name: 'Noted', extensions: { depth_prompt: { prompt: 'CHARNOTE for {{char}}', depth: 0, role: 'assistant' } } });
    const id = (await h.call('conversation.create', { title: 'an', characterIds: [ch], authorsNote: { text: 'NOTE', depth: 0, role: 'user', every: 2 } })).id;
    const done = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'one' });
    await done;
    let sent = (ai.chatRequests().at(-1)!.body as { messages: Sent }).messages;
    expect(sent.at(-1)).toEqual({ role: 'assistant', content: 'CHARNOTE for Noted' });
    expect(sent.map((m) => m.content)).not.toContain('NOTE');
    const again = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'two' });
    await again;
    sent = (ai.chatRequests().at(-1)!.body as { messages: Sent }).messages;
    expect(sent.slice(-3).map(({ role, content }) => ({ role, content }))).toEqual([
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'CHARNOTE for Noted' },
      { role: 'user', content: 'NOTE' },
    ]);
  });
});

describe('Where books come from (docs: "Global", "Chat lore", "Character lore", "Persona lore")', () => {
  it('reads global, persona and character books as well as chat books, and the inspector says why each fired', async () => {
    const global = await importBook([entry(1, { key: ['go'] })]);
    const personal = await importBook([entry(2, { key: ['go'] })]);
    const charBook = await importBook([entry(3, { key: ['go'] })]);
    const { id: persona } = await h.call('persona.create', { name: 'Alex' });
    await h.call('lorebook.update', { id: personal, patch: { personaIds: [persona] } });
    await h.call('lorebook.update', { id: charBook, patch: { characterIds: [mira] } });
    await h.call('settings.update', { globalLorebookIds: [global] });
    try {
      const id = (await h.call('conversation.create', { title: 'src', characterIds: [mira], personaId: persona })).id;
      await h.call('conversation.addMessage', { id, role: 'user', text: 'go' });
      const p = await h.call('chat.prompt', { conversationId: id });
      expect(p.lore.map((l) => [l.book, l.reason])).toEqual(
        expect.arrayContaining([
          [global, 'key "go"'],
          [personal, 'key "go"'],
          [charBook, 'key "go"'],
        ]),
      );
      expect(fired(await reply(id))).toEqual([1, 2, 3]);
      // Deleting a global book takes it out of the settings too.
      await h.call('lorebook.delete', { id: global });
      expect((await h.call('settings.get', {})).globalLorebookIds).toEqual([]);
      expect(fired(await reply(id))).toEqual([2, 3]);
    } finally {
      await h.call('settings.update', { globalLorebookIds: [] });
    }
  });

  it('exports a book as SillyTavern World Info that imports back the same', async () => {
    const src = [entry(1, { key: ['a'], keysecondary: ['b'], selectiveLogic: 3, position: 4, depth: 2, role: 2, sticky: 2, cooldown: 1, delay: 3, group: 'g', groupWeight: 7, probability: 40 })];
    const id = await importBook(src);
    const out = JSON.parse((await h.call('lorebook.export', { id })).json) as { entries: Record<string, Record<string, unknown>> };
    expect(out.entries['1']).toMatchObject({ key: ['a'], keysecondary: ['b'], selectiveLogic: 3, position: 4, depth: 2, role: 2, sticky: 2, cooldown: 1, delay: 3, group: 'g', groupWeight: 7, probability: 40, comment: 'E1' });
    const back = await h.call('lorebook.import', { json: JSON.stringify(out), name: 'again' });
    const entriesOf = async (book: string) => (JSON.parse((await h.call('lorebook.export', { id: book })).json) as { entries: unknown }).entries;
    expect(await entriesOf(back.id)).toEqual(await entriesOf(id));
    expect(back.entries).toBe(1);
  });

  it('refuses a file that is not a lorebook and keeps nothing of it', async () => {
    const before = (await h.call('records.list', { kind: 'lorebook' })).length;
    await expect(h.call('lorebook.import', { json: '{"nope": 1}', name: 'x' })).rejects.toMatchObject({ code: 'usage' });
    await expect(h.call('lorebook.import', { json: '{not json', name: 'x' })).rejects.toMatchObject({ code: 'usage' });
    expect((await h.call('records.list', { kind: 'lorebook' })).length).toBe(before);
  });
});

describe('Global settings (docs: "Min Activations", "Max Recursion Steps", "Scan Depth", "Case-sensitive keys"; world-info.js checkWorldInfo)', () => {
  it('min activations scan deeper until enough entries fire; the global scan depth and case default apply to books that set none', async () => {
    const book = [entry(1, { key: ['Kraken'] }), entry(2, { key: ['away'] })];
    const messages = ['the KRAKEN rises', 'Run.', 'Where to?', 'Away.'];
    expect(fired(await sentFor(book, messages))).toEqual([2]);
    try {
      await h.call('settings.update', { worldInfo: { minActivations: 2 } });
      expect(fired(await sentFor(book, messages))).toEqual([1, 2]);
      await h.call('settings.update', { worldInfo: { minActivations: 2, minActivationsDepthMax: 3 } });
      expect(fired(await sentFor(book, messages))).toEqual([2]);
      await h.call('settings.update', { worldInfo: { scanDepth: 4 } });
      expect(fired(await sentFor(book, messages))).toEqual([1, 2]);
      await h.call('settings.update', { worldInfo: { scanDepth: 4, caseSensitive: true } });
      expect(fired(await sentFor(book, messages))).toEqual([]); // "Kraken" ≠ "KRAKEN", "away" ≠ "Away."
    } finally {
      await h.call('settings.update', { worldInfo: {} });
    }
    const bad = await h.core.invoke('settings.update', { worldInfo: { minActivations: -1 } });
    expect(bad.ok).toBe(false);
  });
});

describe('Character filter (docs: "Filter to Character(s)"; world-info.js checkWorldInfo "filtered out by character")', () => {
  it('fires only for the named character, or for everyone else when excluding; kept through export', async () => {
    const book = [
      entry(1, { key: ['tea'], characterFilter: { isExclude: false, names: ['Mira'], tags: [] } }),
      entry(2, { key: ['tea'], characterFilter: { isExclude: false, names: ['Bram'], tags: [] } }),
      entry(3, { key: ['tea'], characterFilter: { isExclude: true, names: ['Mira'], tags: [] } }),
      entry(4, { key: ['tea'], characterFilter: { isExclude: true, names: ['Bram'], tags: [] } }),
    ];
    const id = await importBook(book);
    expect(fired(await reply(await chatWith(id, ['Some tea?'])))).toEqual([1, 4]);
    const exported = JSON.parse((await h.call('lorebook.export', { id })).json) as { entries: Record<string, { characterFilter?: unknown }> };
    expect(Object.values(exported.entries).map((e) => e.characterFilter)).toEqual(book.map((e) => e['characterFilter']));
  });
});
