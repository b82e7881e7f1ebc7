/**
 * Regex scripts on the prompt, checked in the request the fake provider receives: a real card's scripts
 * (lide4144 “修女与女忍的双面日常”, tests/fixtures/regex) run only once the user allows them for that character;
 * then they change the prompt exactly as their placement says (AI output only, prompt side only), global scripts
 * honour user-input / world-info placement and min depth, and a catastrophic pattern does not stall a reply.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, useShortTimeouts, type ChatHarness } from './harness.node.ts';

const card = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/regex/lide4144-lilian-regex-scripts.json'), 'utf8')) as { regex_scripts: unknown[] };
const reply = '*钟声响起。*\n<UpdateVariable>\n<JSONPatch>[{"op":"replace","path":"/教堂/民声","value":16}]</JSONPatch>\n</UpdateVariable>\n<StatusPlaceHolderImpl/>';

let h: ChatHarness;
let ai: FakeOpenAI;
let lilian = '';
let conversation = '';

const lastPrompt = () => (ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
async function send(text: string) {
  ai.script({ text: 'OK.' });
  const done = nextReply(h.core, conversation);
  await h.call('chat.send', { conversationId: conversation, text });
  return (await done).done;
}

beforeAll(async () => {
  useShortTimeouts();
  h = await openChatHarness();
  ai = await startFakeOpenAI();
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
  lilian = (
    await h.call('character.create', {
      name: 'Lilian',
      description: 'A nun by day.',
      extensions: { regex_scripts: card.regex_scripts },
      character_book: { entries: [{ keys: [], content: 'The vault code is SECRET-7.', constant: true, enabled: true, insertion_order: 1, position: 'before_char' }] },
    })
  ).id;
  conversation = (await h.call('conversation.create', { title: 'regex', characterIds: [lilian] })).id;
  await h.call('conversation.addMessage', { id: conversation, role: 'character', text: reply, authorId: lilian });
});

afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('regex scripts in the prompt', () => {
  it("a card's scripts wait for the user's consent, and do not run before it", async () => {
    const view = await h.call('regex.forConversation', { conversationId: conversation });
    expect(view.pending).toEqual([{ characterId: lilian, name: 'Lilian', count: 2 }]);
    expect(view.scripts).toEqual([]);
    await send('Good morning.');
    expect(lastPrompt().find((m) => m.role === 'assistant')!.content).toBe(reply);
  });

  it('once allowed: the variable block leaves the prompt, the placeholder stays (its panel is display-only)', async () => {
    await h.call('regex.consent', { characterId: lilian, allowed: true });
    const view = await h.call('regex.forConversation', { conversationId: conversation });
    expect(view.pending).toEqual([]);
    expect(view.scripts.map((s) => s.scriptName)).toEqual(['MVU·去除变量更新', '状态栏渲染']);
    await send('<UpdateVariable>typed by me</UpdateVariable> Hello.');
    const prompt = lastPrompt();
    expect(prompt.find((m) => m.role === 'assistant' && m.content.startsWith('*钟声'))!.content).toBe('*钟声响起。*\n\n<StatusPlaceHolderImpl/>');
    // AI-output scripts leave the user's own text alone.
    expect(prompt.at(-1)).toMatchObject({ role: 'user', content: '<UpdateVariable>typed by me</UpdateVariable> Hello.' });
  });

  it('refused: the scripts stop running and the card is not asked about again', async () => {
    await h.call('regex.consent', { characterId: lilian, allowed: false });
    const view = await h.call('regex.forConversation', { conversationId: conversation });
    expect(view).toEqual({ scripts: [], pending: [], userName: 'User' });
    await send('Again.');
    expect(lastPrompt().find((m) => m.role === 'assistant' && m.content.startsWith('*钟声'))!.content).toBe(reply);
  });

  it('global scripts: user-input and world-info placement, min depth, macros in the replacement', async () => {
    const saved = await h.call('regex.save', {
      scripts: [
        { scriptName: 'fix typo', findRegex: '/teh/g', replaceString: 'the', placement: [1], promptOnly: true },
        { scriptName: 'hide code', findRegex: '/SECRET-\\d/g', replaceString: '[hidden from {{char}}]', placement: [5], promptOnly: true },
        { scriptName: 'old only', findRegex: '/OK\\./g', replaceString: 'Fine.', placement: [2], promptOnly: true, minDepth: 3 },
      ],
    });
    expect(saved.every((s) => s.id.length > 0)).toBe(true);
    await send('teh end');
    const prompt = lastPrompt();
    expect(prompt.at(-1)!.content).toBe('the end');
    expect(prompt[0]!.content).toContain('The vault code is [hidden from Lilian].');
    const assistants = prompt.filter((m) => m.role === 'assistant').map((m) => m.content);
    // Replies at depth ≥ 3 are rewritten; the newest ones (depth 1) are not.
    expect(assistants.at(-1)).toBe('OK.');
    expect(assistants.filter((t) => t === 'Fine.').length).toBeGreaterThan(0);
    const list = await h.call('regex.list', {});
    expect(list.scripts.map((s) => s.scriptName)).toEqual(['fix typo', 'hide code', 'old only']);
  });

  it('a catastrophic pattern does not stall a reply', async () => {
    await h.call('regex.save', { scripts: [{ scriptName: 'evil', findRegex: '/(a+)+$/', replaceString: 'X', placement: [1, 2] }] });
    const done = await send('a'.repeat(50) + '!');
    expect(done.status).toBe('complete');
    expect(lastPrompt().at(-1)!.content).toBe('a'.repeat(50) + '!');
  });
});
