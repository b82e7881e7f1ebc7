/** The memory's pure parts: its placement in buildPrompt, its template, and the summary request's budget. */
import { describe, expect, it } from 'vitest';
import { CharacterFields, Lorebook } from '../../../shared/domain.std.ts';
import { blankMemory, defaultSummaryPrompt } from '../../../shared/memory.std.ts';
import { memoryForPrompt, summaryRequest } from './memory.std.ts';
import { buildPrompt, type PromptHistoryMessage, type PromptInput } from './prompt.std.ts';
import { countWith } from './tokens.std.ts';

const mira = CharacterFields.parse({ name: 'Mira', description: 'The keeper.', personality: 'calm' });
const input = (over: Partial<PromptInput>): PromptInput => ({
  character: mira,
  otherCharacters: [],
  userName: 'Alex',
  history: [{ role: 'user', name: 'Alex', text: 'Hello.' }],
  lorebooks: [Lorebook.parse({ entries: [{ keys: ['hello'], content: 'Lore before.', extensions: { position: 0 } }] })],
  contextWindow: 8_000,
  maxTokens: 500,
  model: 'gpt-4o',
  mode: 'reply',
  ...over,
});

describe('memory in the prompt', () => {
  it('before_char: after the system prompt, before lore and the description; macros applied; counted', () => {
    const memory = memoryForPrompt({ ...blankMemory(), text: '{{char}} met {{user}}.', position: 'before_char' })!;
    const built = buildPrompt(input({ memory }));
    const main = built.messages[0]!.content.split('\n\n');
    expect(main.slice(0, 4)).toEqual(["Write Mira's next reply in a fictional chat between Mira and Alex.", '[Summary: Mira met Alex.]', 'Lore before.', 'The keeper.']);
    expect(built.memory).toMatchObject({ position: 'before_char', tokens: expect.any(Number) });
    const without = buildPrompt(input({}));
    expect(built.promptTokens).toBeGreaterThan(without.promptTokens);
  });

  it('is left out when off or empty; the template keeps $ signs as written', () => {
    expect(memoryForPrompt({ ...blankMemory(), text: 'x', enabled: false })).toBeUndefined();
    expect(memoryForPrompt({ ...blankMemory(), text: '  ' })).toBeUndefined();
    expect(memoryForPrompt({ ...blankMemory(), text: 'cost $& and $1', template: '<{{summary}}>' })!.text).toBe('<cost $& and $1>');
    expect(memoryForPrompt({ ...blankMemory(), text: 'plain', template: '' })!.text).toBe('plain');
  });
});

describe('the summary request', () => {
  const count = (t: string) => countWith('estimate', t);
  const env = { char: 'Mira', user: 'Alex' };
  const msgs: PromptHistoryMessage[] = Array.from({ length: 50 }, (_, i) => ({ role: i % 2 ? 'character' : 'user', name: i % 2 ? 'Mira' : 'Alex', text: `message ${i} about the sea and the lamp` }));

  it('takes as many messages as fit, oldest first, after the previous summary', () => {
    const r = summaryRequest({ ...blankMemory(), text: 'Before.' }, msgs, { budget: 400, count, env });
    expect(r.taken).toBeGreaterThan(3);
    expect(r.taken).toBeLessThan(50);
    expect(r.messages[0]).toEqual({ role: 'system', content: defaultSummaryPrompt.replace('{{words}}', '200') });
    const parts = r.messages[1]!.content.split('\n\n');
    expect(parts[0]).toBe('Before.');
    expect(parts[1]).toBe('Alex:\nmessage 0 about the sea and the lamp');
    expect(parts).toHaveLength(r.taken + 1);
    expect(r.messages.reduce((n, m) => n + count(m.content) + 3, 3)).toBeLessThanOrEqual(400);
  });

  it('takes none when not even one fits', () => {
    expect(summaryRequest({ ...blankMemory(), text: 'x'.repeat(3000) }, msgs, { budget: 600, count, env })).toMatchObject({ taken: 0, added: 0 });
  });
});
