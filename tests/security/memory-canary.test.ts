/**
 * The memory is content like any other: a summary the provider made, one the user wrote, and the summary prompt are
 * never found in plaintext (UTF-8, UTF-16, base64) in any file under the data folder — with the vault open, after a
 * reply that carried the summary, and after closing. A control proves the scan finds what is there.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { findSecrets, tempDir } from '../support/files.node.ts';
import { nextReply, openChatHarness, type ChatHarness } from '../chat/harness.node.ts';

const run = randomBytes(6).toString('hex');
const made = `CANARY-summary-${run}`;
const written = `CANARY-edited-summary-${run}`;
const instruction = `CANARY-summary-prompt-${run}`;

let h: ChatHarness;
let ai: FakeOpenAI;
let closed = false;
beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness(tempDir('memory-canary'));
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
});
afterAll(async () => {
  if (!closed) await h.core.close();
  await ai.close();
});

describe('memory canary', () => {
  it('no summary text in any written file', async () => {
    const id = await h.newConversation();
    for (let i = 0; i < 6; i++) await h.call('conversation.addMessage', { id, role: 'user', text: `message ${i}` });
    await h.call('memory.set', { conversationId: id, patch: { prompt: `${instruction} in {{words}} words` } });
    ai.script({ text: made });
    expect((await h.call('memory.summarize', { conversationId: id })).text).toBe(made);
    const reply = nextReply(h.core, id);
    ai.script({ text: 'ok' });
    await h.call('chat.send', { conversationId: id, text: 'go on' });
    await reply;
    // The provider was sent them (the request the user made); the disk never was.
    expect(JSON.stringify(ai.chatRequests().map((r) => r.body))).toContain(made);
    expect(findSecrets(h.dir, [made, instruction])).toEqual([]);
    await h.call('memory.set', { conversationId: id, patch: { text: written } });
    expect(findSecrets(h.dir, [made, written, instruction])).toEqual([]);
    await h.core.close();
    closed = true;
    expect(findSecrets(h.dir, [made, written, instruction])).toEqual([]);
  });

  it('the scan finds a canary that is there (control)', () => {
    const control = tempDir('memory-canary-control');
    writeFileSync(join(control, 'plain.txt'), `xx ${made} yy`);
    writeFileSync(join(control, 'b64.txt'), Buffer.from(`q${written}`).toString('base64'));
    expect(findSecrets(control, [made, written, instruction]).map((x) => x.secret).sort()).toEqual([written, made].sort());
  });
});
