/**
 * `mindstage processors` (issue 14): the table of who receives what is built from the configuration and the
 * ledger, and it matches what the test servers actually received — each provider's 30-day count is the number of
 * requests its server recorded, an unused provider's is 0, a provider removed after use stays listed with its
 * count, and with sync off there is no relay row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorView } from '../../shared/api/privacy.std.ts';
import { processors as buildProcessors } from '../../electron/core/api/privacy-handlers.node.ts';
import { runCliHere } from '../support/cli.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { PASS, nextReply, openChatHarness, useShortTimeouts, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let used: FakeOpenAI;
let unused: FakeOpenAI;

const processors = async (dir: string) => {
  const r = await runCliHere(['--data', dir, '--json', 'processors'], { env: { MINDSTAGE_PASSPHRASE: PASS } });
  if (r.code !== 0) throw new Error(`processors exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProcessorView[];
};

beforeAll(async () => {
  useShortTimeouts();
  used = await startFakeOpenAI({ model: 'gpt-4o-mini' });
  unused = await startFakeOpenAI({ model: 'other-model' });
  h = await openChatHarness();
  await h.call('provider.add', { name: 'main', baseUrl: used.baseUrl, model: 'gpt-4o-mini', apiKey: 'sk-test-processors' });
  await h.call('provider.add', { name: 'spare', baseUrl: unused.baseUrl, model: 'other-model' });
  await h.call('provider.order', { names: ['main', 'spare'] });
  const conversationId = await h.newConversation();
  for (const text of ['hello', 'and again']) {
    const reply = nextReply(h.core, conversationId);
    await h.call('chat.send', { conversationId, text });
    await reply;
  }
  await h.call('provider.test', { name: 'main' });
  await h.core.close();
});

afterAll(async () => {
  await used.close();
  await unused.close();
});

describe('mindstage processors', () => {
  it('lists each configured provider with what its server actually received, and nothing else', async () => {
    expect(used.requests.length).toBeGreaterThanOrEqual(3);
    expect(unused.requests).toEqual([]);
    const rows = await processors(h.dir);
    expect(rows.map((r) => r.party)).toEqual(['AI provider "main" (model gpt-4o-mini)', 'AI provider "spare" (model other-model)']);
    const [main, spare] = rows;
    expect(main).toMatchObject({ host: new URL(used.baseUrl).host, requests30d: used.requests.length });
    expect(main!.lastUsedAt).toBeGreaterThanOrEqual(Math.max(...used.requests.map((r) => r.at)) - 5_000);
    expect(main!.receives).toContain('the API key saved for it');
    expect(spare).toMatchObject({ host: new URL(unused.baseUrl).host, requests30d: 0, lastUsedAt: null });
    expect(spare!.receives).toContain('no API key');
    for (const r of rows) expect(r.receives.join(' ')).not.toMatch(/sk-test/);
  });

  it('keeps a provider removed after use listed, with its count, until its requests are 30 days old', async () => {
    const r = await runCliHere(['--data', h.dir, 'provider', 'remove', 'main'], { env: { MINDSTAGE_PASSPHRASE: PASS } });
    expect(r.code, r.stderr).toBe(0);
    const rows = await processors(h.dir);
    expect(rows).toEqual([
      expect.objectContaining({ party: 'AI provider "spare" (model other-model)', requests30d: 0 }),
      expect.objectContaining({ party: 'an AI provider no longer configured', host: new URL(used.baseUrl).host, requests30d: used.requests.length }),
    ]);
  });
});

describe('the relay row', () => {
  it('appears only while sync is on, naming the relay\'s host and that it gets ciphertext, sizes, timing and the device count', () => {
    const off = buildProcessors([], [], { enabled: false }, Date.now());
    expect(off).toEqual([]);
    const on = buildProcessors([], [], { enabled: true, relayUrl: 'wss://relay.example.org:8443/v1', lastSyncAt: 1234 }, Date.now());
    expect(on).toEqual([
      {
        party: 'sync relay',
        host: 'relay.example.org:8443',
        receives: ['encrypted records it cannot read (ciphertext)', 'their sizes and when they are sent', 'how many devices the account has'],
        lastUsedAt: 1234,
        requests30d: null,
      },
    ]);
  });
});

