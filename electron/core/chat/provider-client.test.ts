import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { chatBody, classify, scrub } from './provider-client.node.ts';
import { chatOptionsFromEnv, defaultChatOptions } from './engine.node.ts';
import type { StoredProvider } from '../docs/settings-doc.node.ts';

const key = 'sk-proj-Abc123Def456Ghi789Jkl012';

describe('scrub', () => {
  it('removes the key, its long pieces, and key-shaped tokens', () => {
    expect(scrub(`Incorrect API key provided: ${key}.`, key)).toBe('Incorrect API key provided: [API key].');
    expect(scrub(`key ends in …${key.slice(-10)}`, key)).not.toContain(key.slice(-10, -2));
    expect(scrub('Incorrect API key provided: sk-abc***********xyz.', undefined)).toBe('Incorrect API key provided: [API key].');
    expect(scrub('OpenRouter says or-v1-0123456789abcdef is invalid', undefined)).not.toContain('0123456789');
    expect(scrub('plain words stay', key)).toBe('plain words stay');
  });

  it('cuts long messages', () => {
    expect(scrub('x'.repeat(1000), undefined)).toHaveLength(298);
  });
});

describe('classify', () => {
  const h = new Headers();
  it('falls back on 429 and 5xx, not on other statuses', () => {
    expect(classify(APIError.generate(429, { error: { message: 'slow down' } }, undefined, h), key)).toMatchObject({ code: 'provider', retryable: true, tag: 'HTTP 429' });
    expect(classify(APIError.generate(502, undefined, undefined, h), key)).toMatchObject({ retryable: true, tag: 'HTTP 502' });
    for (const status of [400, 401, 403, 404, 422]) expect(classify(APIError.generate(status, undefined, undefined, h), key).retryable).toBe(false);
  });

  it('names connection failures and falls back on them', () => {
    const refused = new APIConnectionError({ cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(classify(refused, key)).toEqual({ code: 'network', reason: 'connection refused', retryable: true, tag: 'connection refused' });
    const dns = new APIConnectionError({ cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) });
    expect(classify(dns, key).reason).toBe('host not found');
    expect(classify(Object.assign(new Error('closed'), { code: 'ECONNRESET' }), key).reason).toBe('the connection was cut');
  });

  it('an error inside the stream (no status) is a provider error, scrubbed', () => {
    const f = classify(new APIError(undefined, { message: `bad ${key}` }, undefined, undefined), key);
    expect(f).toMatchObject({ code: 'provider', retryable: false, tag: 'provider error' });
    expect(f.reason).not.toContain(key);
  });
});

describe('chatBody', () => {
  it('holds the prompt, the model, the output limit and only the sampling settings that are set', () => {
    const p: StoredProvider = { name: 'p', baseUrl: 'http://x/v1', model: 'm', apiKey: key, contextWindow: 8192, maxTokens: 300, sampling: { temperature: 0.5, seed: 7 }, createdAt: 0 };
    const body = chatBody(p, [{ role: 'user', content: 'hi' }]);
    expect(body).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 300, temperature: 0.5, seed: 7, stream: true, stream_options: { include_usage: true } });
    expect(JSON.stringify(body)).not.toContain(key);
  });
});

describe('chatOptionsFromEnv', () => {
  it('reads positive numbers and ignores the rest', () => {
    expect(chatOptionsFromEnv({})).toEqual(defaultChatOptions);
    expect(chatOptionsFromEnv({ MINDSTAGE_FIRST_TOKEN_TIMEOUT_MS: '1500', MINDSTAGE_STALL_TIMEOUT_MS: 'x', MINDSTAGE_CHECKPOINT_MS: '-3' })).toEqual({ ...defaultChatOptions, firstTokenMs: 1500 });
  });
});
