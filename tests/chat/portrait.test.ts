/**
 * Portraits through the images endpoint (the first provider that has one wins; the others are tried in order), stored
 * encrypted as the character's avatar and recorded in the ledger; provider.test makes one tiny request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets } from '../support/files.node.ts';
import { startFakeOpenAI, tinyPngBase64, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { openChatHarness, useShortTimeouts, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let noImages: FakeOpenAI;
let images: FakeOpenAI;

beforeAll(async () => {
  useShortTimeouts();
  h = await openChatHarness();
  noImages = await startFakeOpenAI();
  images = await startFakeOpenAI();
  await h.call('provider.add', { name: 'text-only', baseUrl: noImages.baseUrl, model: 'm' });
  await h.call('provider.add', { name: 'with-images', baseUrl: images.baseUrl, model: 'm', apiKey: 'sk-images-key-0123456789' });
});

afterAll(async () => {
  await h.core.close();
  await noImages.close();
  await images.close();
});

describe('chat.generatePortrait', () => {
  it('falls through to a provider with an images endpoint and stores the image as the avatar', async () => {
    noImages.scriptImages({ error: { status: 404, message: 'Unknown route' } });
    // A distinctive PNG: the 1×1 image with a canary appended after IEND (still a PNG by its signature).
    const canary = `PORTRAIT-BYTES-${Date.now()}`;
    const png = Buffer.concat([Buffer.from(tinyPngBase64, 'base64'), Buffer.from(canary)]);
    images.scriptImages({ b64: png.toString('base64') });
    const { id: character } = await h.call('character.create', { name: 'Iris', description: '{{char}} has silver hair.' });
    const { assetId } = await h.call('chat.generatePortrait', { characterId: character });
    expect((await h.call('character.get', { id: character })).avatar_asset).toBe(assetId);
    const asset = await h.call('assets.get', { id: assetId });
    expect(asset.mime).toBe('image/png');
    expect(Buffer.from(asset.bytesBase64, 'base64').equals(png)).toBe(true);

    const req = images.requests.find((r) => r.path.endsWith('/images/generations'))!;
    expect(req.body).toMatchObject({ prompt: expect.stringContaining('Iris has silver hair.'), n: 1, response_format: 'b64_json' });
    expect(Object.keys(req.body as object).sort()).toEqual(['n', 'prompt', 'response_format', 'size']);
    expect(req.headers['user-agent']).toBeUndefined();
    const ledger = await h.call('ledger.list', { limit: 2 });
    expect(ledger.map((e) => [e.purpose, e.status, e.outcome])).toEqual([['image', 200, 'ok'], ['image', 404, 'error: HTTP 404']]);
    expect(findSecrets(h.dir, [canary])).toEqual([]);
  });

  it('uses the prompt given, and fails clearly when no provider makes images', async () => {
    const { id: character } = await h.call('character.create', { name: 'Oak' });
    noImages.scriptImages({ error: { status: 404 } });
    images.scriptImages({ error: { status: 500 } });
    const r = await h.core.invoke('chat.generatePortrait', { characterId: character, prompt: 'an old oak in fog' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('provider');
      expect(r.error.message).toMatch(/text-only \(HTTP 404.*with-images \(HTTP 500/);
    }
    expect((await h.call('character.get', { id: character })).avatar_asset).toBeUndefined();
    expect(images.requests.at(-1)!.body).toMatchObject({ prompt: 'an old oak in fog' });
  });
});

describe('provider.test', () => {
  it('answers ok with a latency for a working provider, and says what failed otherwise', async () => {
    const ok = await h.call('provider.test', { name: 'with-images' });
    expect(ok).toMatchObject({ ok: true });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    const req = images.chatRequests().at(-1)!;
    expect(req.body).toMatchObject({ max_tokens: 1, stream: false });
    images.script({ error: { status: 401 } });
    const bad = await h.call('provider.test', { name: 'with-images' });
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/with-images: HTTP 401: the API key was refused/);
    expect(bad.message).not.toContain('sk-images-key-0123456789');
    const ledger = await h.call('ledger.list', { limit: 2 });
    expect(ledger.map((e) => [e.purpose, e.outcome])).toEqual([['test', 'error: HTTP 401'], ['test', 'ok']]);
  });
});
