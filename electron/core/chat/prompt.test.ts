import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { CharacterFields, Lorebook, ScenarioFields, type CharacterInput } from '../../../shared/domain.std.ts';
import { importCard } from '../cards/index.node.ts';
import { buildPrompt, countTokens, defaultSystemPrompt, type BuiltPrompt, type PromptHistoryMessage, type PromptInput } from './prompt.std.ts';

const card = (fields: CharacterInput): CharacterFields => CharacterFields.parse(fields);
const mira = card({
  name: 'Mira',
  description: '{{char}} is a lantern-keeper who watches over {{user}}.',
  personality: 'curious, kind',
  scenario: 'A lighthouse on a stormy night.',
  mes_example: '<START>\n{{user}}: Who are you?\n{{char}}: The keeper.\n<START>\n<USER>: Why?\n<BOT>: Storms.',
  system_prompt: 'You are {{char}}. {{original}}',
  post_history_instructions: 'Stay in character as {{char}}. {{original}}',
  creator_notes: 'CREATOR-NOTES-NOT-FOR-THE-MODEL',
  creator: 'someone',
});

const user = (text: string, name = 'Alex'): PromptHistoryMessage => ({ role: 'user', name, text });
const char = (text: string, name = 'Mira', authorId?: string): PromptHistoryMessage => ({ role: 'character', name, text, ...(authorId ? { authorId } : {}) });
/** A conversation of n messages, alternating user/character, each ~40 tokens. */
const chat = (n: number): PromptHistoryMessage[] =>
  Array.from({ length: n }, (_, i) => (i % 2 ? char : user)(`message ${i}: the storm keeps rolling over the rocks while the lamp turns slowly above the sea, number ${i}.`));

const base = (over: Partial<PromptInput> = {}): PromptInput => ({
  character: mira,
  otherCharacters: [],
  userName: 'Alex',
  history: [user('Hello there.')],
  lorebooks: [],
  contextWindow: 128_000,
  maxTokens: 1_000,
  model: 'gpt-4o',
  mode: 'reply',
  ...over,
});

/** promptTokens as the real tokenizer counts the messages sent: 3 per message, 3 for the reply. */
const exactTokens = (p: BuiltPrompt): number => p.messages.reduce((n, m) => n + encodeO200k(m.content).length + 3, 3);
const historyOf = (p: BuiltPrompt) => p.messages.filter((m) => m.role !== 'system');

describe('order of the card fields', () => {
  it('sends system prompt, description, personality, scenario, persona, then example dialogue, history, post-history last', () => {
    const p = buildPrompt(
      base({
        scenario: ScenarioFields.parse({ title: 'Night', setting: 'The power is out.' }),
        persona: { name: 'Alex', description: '{{user}} is a sailor.' },
        history: [char('Welcome, {{user}}.'), user('Thanks.')],
      }),
    );
    expect(p.messages.map((m) => m.role)).toEqual(['system', 'system', 'assistant', 'user', 'system']);
    expect(p.messages[0]!.content).toBe(
      [
        `You are Mira. Write Mira's next reply in a fictional chat between Mira and Alex.`,
        'Mira is a lantern-keeper who watches over Alex.',
        "Mira's personality: curious, kind",
        'Scenario: A lighthouse on a stormy night.\nThe power is out.',
        'Alex is a sailor.',
      ].join('\n\n'),
    );
    expect(p.messages[1]!.content).toBe('[Example Chat]\nAlex: Who are you?\nMira: The keeper.\n\n[Example Chat]\nAlex: Why?\nMira: Storms.');
    expect(p.messages[2]).toEqual({ role: 'assistant', content: 'Welcome, Alex.' });
    expect(p.messages[4]).toEqual({ role: 'system', content: 'Stay in character as Mira.' });
    expect(p.exampleDialogueIncluded).toBe(true);
    expect(p.historyIncluded).toBe(2);
    expect(p.tokenizer).toBe('o200k_base');
    expect(p.promptTokens).toBe(exactTokens(p));
  });

  it('uses the default system prompt for an empty one, leaves out empty fields and sends no empty post-history message', () => {
    const p = buildPrompt(base({ character: card({ name: 'Bare' }) }));
    expect(p.messages).toEqual([
      { role: 'system', content: defaultSystemPrompt.replaceAll('{{char}}', 'Bare').replaceAll('{{user}}', 'Alex') },
      { role: 'user', content: 'Hello there.' },
    ]);
    expect(p.exampleDialogueIncluded).toBe(false);
  });

  it('lets the caller set what {{original}} stands for in both places', () => {
    const p = buildPrompt(base({ defaultSystemPrompt: 'SYS-DEFAULT for {{char}}.', defaultPostHistoryInstructions: 'POST-DEFAULT.' }));
    expect(p.messages[0]!.content.startsWith('You are Mira. SYS-DEFAULT for Mira.')).toBe(true);
    expect(p.messages.at(-1)).toEqual({ role: 'system', content: 'Stay in character as Mira. POST-DEFAULT.' });
  });

  it('sends no identity and no text meant for humans: no ids, creator, creator notes or other card metadata', () => {
    const p = buildPrompt(
      base({ characterId: 'char-id-7f3a', history: [char('Hi.', 'Mira', 'char-id-7f3a'), user('Yo.')], persona: { name: 'Alex', description: 'A sailor.' } }),
    );
    const sent = JSON.stringify(p.messages);
    for (const secret of ['char-id-7f3a', 'CREATOR-NOTES-NOT-FOR-THE-MODEL', 'someone']) expect(sent).not.toContain(secret);
    for (const m of p.messages) expect(Object.keys(m).sort()).toEqual(['content', 'role']);
  });
});

describe('macros', () => {
  it('replaces {{char}}, {{user}}, <BOT> and <USER> in every card text, lore entry and message, and leaves none behind', () => {
    const lore = Lorebook.parse({ entries: [{ keys: ['lamp'], content: '{{char}} lit the lamp for {{USER}}.' }] });
    const p = buildPrompt(base({ lorebooks: [lore], history: [char('Hello {{user}}, I am <BOT>.'), user('the lamp?')], persona: { name: 'Alex', description: '<USER> sails.' } }));
    const sent = p.messages.map((m) => m.content).join('\n');
    expect(sent).toContain('Mira lit the lamp for Alex.');
    expect(sent).toContain('Hello Alex, I am Mira.');
    expect(sent).toContain('Alex sails.');
    expect(sent).not.toMatch(/\{\{|<bot>|<user>/i);
  });
});

describe('budget: contextWindow − maxTokens', () => {
  it('takes history newest first until the next older message would not fit, and stays within the budget', () => {
    const history = chat(500);
    const p = buildPrompt(base({ character: card({ name: 'Mira', description: 'A keeper.' }), history, contextWindow: 3_000, maxTokens: 500 }));
    expect(p.historyIncluded).toBeGreaterThan(20);
    expect(p.historyIncluded).toBeLessThan(500);
    expect(historyOf(p).map((m) => m.content)).toEqual(history.slice(-p.historyIncluded).map((m) => m.text));
    expect(p.promptTokens).toBe(exactTokens(p));
    expect(p.promptTokens).toBeLessThanOrEqual(2_500);
    const nextOlder = history[history.length - 1 - p.historyIncluded]!.text;
    expect(p.promptTokens + countTokens(nextOlder, 'gpt-4o') + 3).toBeGreaterThan(2_500);
    expect(p.overBudget).toBe(false);
  });

  it('sends everything when it fits', () => {
    const p = buildPrompt(base({ history: chat(40) }));
    expect(p.historyIncluded).toBe(40);
    expect(p.exampleDialogueIncluded).toBe(true);
  });

  it('drops the example dialogue first: it keeps it over older history, but not at the cost of the newest 6 messages', () => {
    const history = chat(200);
    const examples = countTokens('[Example Chat]\nAlex: Who are you?\nMira: The keeper.\n\n[Example Chat]\nAlex: Why?\nMira: Storms.', 'gpt-4o') + 3;
    const withRoom = buildPrompt(base({ history, contextWindow: 2_000, maxTokens: 500 }));
    expect(withRoom.exampleDialogueIncluded).toBe(true);
    expect(withRoom.historyIncluded).toBeLessThan(200); // older history gave way to the examples

    // One token short of room for the examples beside the newest six messages: they go, and their space goes to
    // older history instead. With exactly enough room they stay and history stops at six.
    const fixedAndSix = buildPrompt(base({ history: history.slice(-6), character: { ...mira, mes_example: '' } })).promptTokens;
    const tight = buildPrompt(base({ history, contextWindow: fixedAndSix + examples - 1, maxTokens: 0 }));
    expect(tight.exampleDialogueIncluded).toBe(false);
    expect(tight.historyIncluded).toBeGreaterThan(6);
    expect(tight.promptTokens).toBeLessThanOrEqual(fixedAndSix + examples - 1);
    const justEnough = buildPrompt(base({ history, contextWindow: fixedAndSix + examples, maxTokens: 0 }));
    expect(justEnough.exampleDialogueIncluded).toBe(true);
    expect(justEnough.historyIncluded).toBe(6);
  });

  it('always sends the newest message, and says when that is over the budget', () => {
    const huge = user('word '.repeat(5_000));
    const p = buildPrompt(base({ history: [...chat(10), huge], contextWindow: 2_000, maxTokens: 500 }));
    expect(p.historyIncluded).toBe(1);
    expect(historyOf(p).at(-1)!.content).toBe(huge.text);
    expect(p.overBudget).toBe(true);
    expect(p.exampleDialogueIncluded).toBe(false);
  });

  it('leaves out empty messages (a failed or placeholder alternative) without counting them', () => {
    const p = buildPrompt(base({ history: [user('First.'), char(''), char('  \n'), user('Second.')] }));
    expect(historyOf(p)).toEqual([
      { role: 'user', content: 'First.' },
      { role: 'user', content: 'Second.' },
    ]);
    expect(p.historyIncluded).toBe(2);
  });

  it('counts with the estimate for models without a known tokenizer', () => {
    // Not a Llama or Mistral model: their tokenizers count once loaded, and another test file in this worker may
    // have loaded them (the unit project shares workers between files).
    const p = buildPrompt(base({ model: 'qwen2.5:7b', history: chat(10) }));
    expect(p.tokenizer).toBe('estimate');
    expect(p.promptTokens).toBe(p.messages.reduce((n, m) => n + countTokens(m.content, 'qwen2.5:7b') + 3, 3));
  });
});

describe('lorebooks in the prompt', () => {
  const world = Lorebook.parse({
    name: 'Coast',
    entries: [
      { keys: ['kraken'], name: 'Kraken', content: 'LORE-KRAKEN: a beast under the bay.' },
      { keys: ['harbor'], name: 'Harbor', content: 'LORE-HARBOR: the old harbor.', position: 'after_char' },
      { keys: ['lighthouse'], name: 'Lighthouse', content: 'LORE-LIGHTHOUSE: built in 1820.' },
      { keys: [], constant: true, name: 'Sea', content: 'LORE-SEA: always cold.', insertion_order: -1 },
    ],
  });

  it('includes the entries whose keys are in recent messages, and no others (an old mention is not enough)', () => {
    const history = [user('Tell me about the kraken.'), char('Not now.'), user('Fine. What about the harbor?'), char('It is quiet.')];
    const p = buildPrompt(base({ history, lorebooks: [world] }));
    expect(p.loreIncluded).toEqual(['Sea', 'Harbor']);
    const system = p.messages[0]!.content;
    expect(system).not.toContain('LORE-KRAKEN');
    expect(system).not.toContain('LORE-LIGHTHOUSE');
    // before_char entries sit before the description, after_char ones after the persona/scenario.
    expect(system.indexOf('LORE-SEA')).toBeLessThan(system.indexOf('lantern-keeper'));
    expect(system.indexOf('LORE-HARBOR')).toBeGreaterThan(system.indexOf('Scenario:'));
    expect(system.indexOf('You are Mira.')).toBe(0);
  });

  it("honours a scenario lorebook beside the character's, each with its own scan depth", () => {
    const scenarioBook = Lorebook.parse({ scan_depth: 4, entries: [{ keys: ['kraken'], name: 'Scenario kraken', content: 'LORE-SK' }] });
    const history = [user('Tell me about the kraken.'), char('Not now.'), user('Later then.'), char('Yes.')];
    expect(buildPrompt(base({ history, lorebooks: [world, scenarioBook] })).loreIncluded).toEqual(['Sea', 'Scenario kraken']);
  });

  it('keeps lore within the book token budget and within the prompt budget', () => {
    const big = Lorebook.parse({ token_budget: 50, entries: [{ keys: ['x'], name: 'Big', content: 'lore '.repeat(200) }, { keys: ['x'], name: 'Small', content: 'tiny lore' }] });
    expect(buildPrompt(base({ history: [user('x')], lorebooks: [big] })).loreIncluded).toEqual(['Small']);
    const noBudget = Lorebook.parse({ entries: [{ keys: ['x'], name: 'Big', content: 'lore '.repeat(200) }] });
    // Default budget: 25 % of the prompt budget (here 25 % of 600 = 150 < ~200 tokens).
    expect(buildPrompt(base({ history: [user('x')], lorebooks: [noBudget], contextWindow: 1_100, maxTokens: 500 })).loreIncluded).toEqual([]);
    expect(buildPrompt(base({ history: [user('x')], lorebooks: [noBudget] })).loreIncluded).toEqual(['Big']);
  });
});

describe('continue mode', () => {
  it('sends the partial reply last, as the assistant message to extend, after the post-history instructions', () => {
    const history = [user('Tell me a story.'), char('Once upon a time, ')];
    const p = buildPrompt(base({ history, mode: 'continue' }));
    expect(p.messages.slice(-3)).toEqual([
      { role: 'user', content: 'Tell me a story.' },
      { role: 'system', content: 'Stay in character as Mira.' },
      { role: 'assistant', content: 'Once upon a time, ' }, // not trimmed
    ]);
    expect(p.historyIncluded).toBe(1);
    expect(p.promptTokens).toBe(exactTokens(p));
  });

  it('scans the partial reply for lorebook keys, and falls back to a reply on an empty conversation', () => {
    const book = Lorebook.parse({ entries: [{ keys: ['dragon'], name: 'Dragon', content: 'D' }] });
    expect(buildPrompt(base({ history: [user('Go on.'), char('The dragon')], mode: 'continue', lorebooks: [book] })).loreIncluded).toEqual(['Dragon']);
    const empty = buildPrompt(base({ history: [], mode: 'continue' }));
    expect(empty.historyIncluded).toBe(0);
    expect(empty.messages.at(-1)!.role).toBe('system');
  });
});

describe('group chat', () => {
  const bram = card({ name: 'Bram', description: '{{char}} is a retired knight who distrusts {{user}}. ' + 'He talks a lot. '.repeat(100) });
  const lia = card({ name: 'Lia', description: '', personality: 'shy' });

  it('sends the speaker’s messages as assistant and everyone else’s as named user messages', () => {
    const history = [user('Hi all.'), char('Hello.', 'Bram', 'b1'), char('Welcome.', 'Mira', 'm1'), { role: 'narrator' as const, name: '', text: 'Thunder.' }];
    const p = buildPrompt(base({ otherCharacters: [bram, lia], characterId: 'm1', history }));
    expect(historyOf(p)).toEqual([
      { role: 'user', content: 'Alex: Hi all.' },
      { role: 'user', content: 'Bram: Hello.' },
      { role: 'assistant', content: 'Welcome.' },
      { role: 'user', content: 'Narrator: Thunder.' },
    ]);
    const system = p.messages[0]!.content;
    expect(system).toContain("Write Mira's next reply in a fictional group chat between Mira, Bram and Lia and Alex.");
    expect(system).toContain('Other characters in this group chat:\nBram: Bram is a retired knight who distrusts Alex.');
    expect(system).toContain('\nLia: shy');
    expect(system.length).toBeLessThan(mira.description.length + 1_500); // Bram's long description is clipped
  });

  it('tells the speaker by id when ids are given, else by name', () => {
    const history = [char('I am the other Mira.', 'Mira', 'other'), char('Me.', 'Mira', 'm1')];
    expect(historyOf(buildPrompt(base({ otherCharacters: [bram], characterId: 'm1', history }))).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(historyOf(buildPrompt(base({ otherCharacters: [bram], history }))).map((m) => m.role)).toEqual(['assistant', 'assistant']);
  });
});

describe('a real card (SillyTavern default Seraphina, with its 4-entry Eldoria lorebook)', () => {
  const fixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures/cards');
  const seraphina = importCard(new Uint8Array(readFileSync(path.join(fixtures, 'v2-hybrid-seraphina.png')))).fields;

  it('builds a prompt with the activated lore, the card fields and no macros left', () => {
    expect(seraphina.character_book?.entries.length).toBe(4);
    const history: PromptHistoryMessage[] = [
      { role: 'character', name: 'Seraphina', text: seraphina.first_mes },
      user('Are there monsters out there?'),
      char('Rest now.', 'Seraphina'),
      user('Where am I? This forest is strange.'),
    ];
    const p = buildPrompt(base({ character: seraphina, history, lorebooks: [seraphina.character_book!], contextWindow: 16_000, maxTokens: 800 }));
    const [eldoria, shadowfangs] = seraphina.character_book!.entries;
    // "forest" is in the last two messages; "monsters" only three messages back, beyond the default scan depth of 2.
    expect(p.loreIncluded).toEqual([String(eldoria!.id)]);
    expect(p.loreIncluded).not.toContain(String(shadowfangs!.id));
    const system = p.messages[0]!.content;
    expect(system).toContain('Eldoria is here, all of the woods.');
    expect(system).toContain("[Seraphina's Personality=");
    expect(p.messages.map((m) => m.content).join('\n')).not.toMatch(/\{\{(char|user)\}\}|<bot>|<user>/i);
    expect(p.historyIncluded).toBe(4);
    expect(p.promptTokens).toBe(exactTokens(p));
    expect(p.promptTokens).toBeLessThanOrEqual(15_200);
  });
});
