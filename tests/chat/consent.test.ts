/**
 * Consent (issue 14): every optional sharing is off until granted, and a grant or revoke takes effect on the very
 * next request — checked at the fake provider, which records exactly what it was sent. Also the CLI's spellings
 * (`consent list|grant|revoke`) and the record each change leaves (what, when, which device).
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentView } from '../../shared/api/privacy.std.ts';
import { runCliHere } from '../support/cli.node.ts';
import { startFakeOpenAI, tinyPngBase64, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { PASS, nextReply, openChatHarness, useShortTimeouts, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
let conversationId: string;
const portrait = tinyPngBase64;

beforeAll(async () => {
  useShortTimeouts();
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('provider.add', { name: 'main', baseUrl: ai.baseUrl, model: 'vision-model' });
  await h.call('assets.setAvatar', { recordId: h.characterId, kind: 'character', mime: 'image/png', bytesBase64: portrait });
  conversationId = await h.newConversation();
});

afterAll(async () => {
  await h.core.close();
  await ai.close();
});

/** Sends one message and returns the chat request the provider received for its reply. */
async function send(text: string) {
  const before = ai.chatRequests().length;
  const reply = nextReply(h.core, conversationId);
  await h.call('chat.send', { conversationId, text });
  await reply;
  const reqs = ai.chatRequests();
  expect(reqs.length).toBe(before + 1);
  return reqs.at(-1)!.body as { messages: { role: string; content: unknown }[] };
}

const images = (body: { messages: { content: unknown }[] }) =>
  body.messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as { type: string; image_url?: { url: string } }[]) : [])).filter((p) => p.type === 'image_url');

describe('consent', () => {
  it('lists every optional sharing, each off, with one sentence of what it does', async () => {
    const list = await h.call('consent.list', {});
    expect(list.map((c) => c.name)).toEqual(['portraits-in-chat', 'network-voices']);
    for (const c of list) {
      expect(c).toMatchObject({ granted: false, changedAt: null, device: null });
      expect(c.does).toMatch(/^[A-Z].+\.$/);
    }
  });

  it('sends the portrait from the next request after a grant, and stops from the next request after a revoke', async () => {
    const off = await send('first, nothing granted');
    expect(images(off)).toEqual([]);
    expect(JSON.stringify(off)).not.toContain(portrait);

    const t0 = Date.now();
    const granted = await h.call('consent.set', { name: 'portraits-in-chat', granted: true });
    expect(granted).toMatchObject({ name: 'portraits-in-chat', granted: true, device: hostname() });
    expect(granted.changedAt).toBeGreaterThanOrEqual(t0);
    const portraitLine = async () => (await h.call('privacy.processors', {}))[0]!.receives.some((r) => r.includes('portrait image'));
    expect(await portraitLine()).toBe(true);
    const on = await send('now with the portrait');
    expect(images(on)).toEqual([{ type: 'image_url', image_url: { url: `data:image/png;base64,${portrait}` } }]);
    // On the user turn just sent, after its text; nothing else in the request changed shape.
    const last = on.messages.at(-1)!;
    expect(last.role).toBe('user');
    expect(last.content).toEqual([{ type: 'text', text: 'now with the portrait' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${portrait}` } }]);

    await h.call('consent.set', { name: 'portraits-in-chat', granted: false });
    expect(await portraitLine()).toBe(false);
    const again = await send('revoked again');
    expect(images(again)).toEqual([]);
    expect(again.messages.at(-1)).toEqual({ role: 'user', content: 'revoked again' });
  });
});

describe('privacy.held without sync', () => {
  it('counts what this device holds and has no relay half', async () => {
    const held = await h.call('privacy.held', {});
    // The three messages sent above and their three replies; one character with its portrait.
    expect(held.local).toMatchObject({ records: { character: 1, conversation: 1, persona: 0 }, messages: 6, assets: 1 });
    expect(held.local.assetBytes).toBeGreaterThan(Buffer.from(portrait, 'base64').length);
    expect(held.relay).toBeNull();
  });
});

describe('mindstage consent', () => {
  const cli = (args: string[]) => runCliHere(['--data', h.dir, ...args], { env: { MINDSTAGE_PASSPHRASE: PASS } });

  it('lists, grants and revokes by name, and refuses an unknown name with the list of names', async () => {
    await h.core.close();
    const granted = await cli(['--json', 'consent', 'grant', 'network-voices']);
    expect(granted.code, granted.stderr).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ name: 'network-voices', granted: true });
    const list = await cli(['--json', 'consent', 'list']);
    const rows = JSON.parse(list.stdout) as ConsentView[];
    expect(rows.map((r) => [r.name, r.granted])).toEqual([['portraits-in-chat', false], ['network-voices', true]]);
    const text = await cli(['consent', 'list']);
    expect(text.stdout).toMatch(/granted {2}network-voices — .+ \(granted \d{4}-\d\d-\d\d \d\d:\d\d UTC on /);
    expect(text.stdout).toMatch(/off {6}portraits-in-chat — .+\(revoked /);
    const revoked = await cli(['--json', 'consent', 'revoke', 'network-voices']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ granted: false });
    const held = await cli(['--json', 'held']);
    expect(held.code, held.stderr).toBe(0);
    expect(JSON.parse(held.stdout)).toMatchObject({ local: { records: { character: 1 }, messages: 6, assets: 1 }, relay: null });
    expect((await cli(['held'])).stdout).toContain('relay: sync is off, nothing is kept on a relay');
    const bad = await cli(['consent', 'grant', 'telemetry']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('No consent named "telemetry". The names are: portraits-in-chat, network-voices.');
  });
});
