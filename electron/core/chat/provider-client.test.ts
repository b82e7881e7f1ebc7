import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../../tests/support/fake-openai.node.ts';
import { chatBody, classify, createClient, scrub, textBody } from './provider-client.node.ts';
import { chatOptionsFromEnv, defaultChatOptions, ledgerOutcome } from './engine.node.ts';
import { newMeter } from './http.node.ts';
import type { ResolvedProvider, StoredProvider } from '../docs/settings-doc.node.ts';

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

describe('the client', () => {
  it('sends the key only when the provider has one, and no identity headers either way', async () => {
    const ai = await startFakeOpenAI();
    try {
      for (const apiKey of [key, undefined, '']) {
        const meter = newMeter();
        await createClient({ baseUrl: ai.baseUrl, apiKey }, meter).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
        const sent = ai.requests.at(-1)!.headers;
        expect(sent['authorization']).toBe(apiKey ? `Bearer ${key}` : undefined);
        expect(Object.keys(sent).sort()).toEqual([...(apiKey ? ['authorization'] : []), 'accept', 'connection', 'content-length', 'content-type', 'host'].sort());
        expect(meter.status).toBe(200);
      }
    } finally {
      await ai.close();
    }
  });
});

describe('scrub, at its edges', () => {
  it('replaces a key of four characters or more, and nothing shorter', () => {
    expect(scrub('token abcd here', 'abcd')).toBe('token [API key] here');
    expect(scrub('token abc here', 'abc')).toBe('token abc here');
  });

  it('drops key-shaped tokens of each prefix, in any case, from six characters after the prefix', () => {
    for (const token of ['sk-abcdef', 'PK_abcdef', 'rk-ab*def', 'Or-abc_ef', 'key-abc-ef']) expect(scrub(`was ${token}.`, undefined)).toBe('was [API key].');
    expect(scrub('was sk-abcde.', undefined)).toBe('was sk-abcde.');
    expect(scrub('task-abcdefgh', undefined)).toBe('task-abcdefgh'); // inside a word: not a key
  });

  it('drops every 8-character piece of a key of twelve or more, at steps of four, up to the last', () => {
    const long = 'ABCDEFGHIJKLMNOP'; // 16: pieces at 0, 4 and 8, the last one ending the key
    for (const piece of ['ABCDEFGH', 'EFGHIJKL', 'IJKLMNOP']) expect(scrub(`…${piece}…`, long)).toBe('…[API key]…');
    expect(scrub('…BCDEFGHI…', long)).toBe('…BCDEFGHI…'); // not on a step
    expect(scrub('…ABCDEFGH…', 'ABCDEFGHIJK')).toBe('…ABCDEFGH…'); // 11 characters: no pieces
    expect(scrub('…ABCDEFGH…', 'ABCDEFGHIJKL')).toBe('…[API key]…');
  });

  it('keeps 300 characters whole and cuts longer text to 297 and an ellipsis', () => {
    expect(scrub('y'.repeat(300), undefined)).toBe('y'.repeat(300));
    expect(scrub('y'.repeat(301), undefined)).toBe(`${'y'.repeat(297)}…`);
  });
});

describe('classify, every reason', () => {
  const h = new Headers();
  const status = (s: number, error?: object) => classify(APIError.generate(s, error ? { error } : undefined, undefined, h), key);

  it('names each status, adds the provider\'s scrubbed words and the refused parameter', () => {
    expect(status(401).reason).toBe('HTTP 401: the API key was refused');
    expect(status(403).reason).toBe('HTTP 403: access denied');
    expect(status(404).reason).toBe('HTTP 404: not found (check the base URL and model)');
    expect(status(429).reason).toBe('HTTP 429: rate limited');
    expect(status(500)).toEqual({ code: 'provider', reason: 'HTTP 500: server error', retryable: true, tag: 'HTTP 500' });
    expect(status(499)).toEqual({ code: 'provider', reason: 'HTTP 499: request refused', retryable: false, tag: 'HTTP 499' });
    expect(status(400, { message: `bad key ${key}`, param: 'top_k' }).reason).toBe('HTTP 400: request refused (bad key [API key]); it does not accept the parameter "top_k"');
    expect(status(400, { message: 'x', param: '' }).reason).toBe('HTTP 400: request refused (x)');
    expect(status(400, { param: 7 }).reason).toBe('HTTP 400: request refused');
    expect(classify(new APIError(undefined, undefined, undefined, undefined), key).reason).toBe('the provider reported an error');
    expect(classify(new APIError(undefined, { message: 'overloaded' }, undefined, undefined), key).reason).toBe('the provider reported an error: overloaded');
  });

  it('names each connection failure, from the cause, its cause, or the error itself', () => {
    const via = (code: string) => classify(new APIConnectionError({ cause: Object.assign(new Error('x'), { code }) }), key).reason;
    expect(via('EAI_AGAIN')).toBe('host not found');
    expect(via('EPIPE')).toBe('the connection was cut');
    expect(via('ETIMEDOUT')).toBe('the connection timed out');
    for (const code of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']) expect(via(code)).toBe('its TLS certificate was not accepted');
    expect(via('EWHATEVER')).toBe('could not connect');
    const nested = new APIConnectionError({ cause: Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }) });
    expect(classify(nested, key).tag).toBe('connection refused');
    expect(classify(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), key)).toEqual({ code: 'network', reason: 'the connection timed out', retryable: true, tag: 'the connection timed out' });
    expect(classify(new Error('bad json'), key)).toEqual({ code: 'provider', reason: 'the reply could not be read', retryable: false, tag: 'unreadable reply' });
    for (const thrown of [null, undefined]) expect(classify(thrown, key).tag).toBe('unreadable reply');
    expect(classify(new APIConnectionError({ cause: new Error('no code') }), key).reason).toBe('could not connect');
  });
});

describe('request bodies', () => {
  const p: ResolvedProvider = { name: 'p', baseUrl: 'http://x/v1', model: 'm', apiKey: key, contextWindow: 8192, maxTokens: 300, sampling: { top_p: 0.9, frequency_penalty: 0.1, presence_penalty: 0.2 }, createdAt: 0 };

  it('sends each sampling setting the provider has, and nothing for the ones it has not', () => {
    // Not even a key holding undefined: the body's keys are the allow-list of docs/chat.md.
    expect(Object.keys(chatBody({ ...p, sampling: {} }, []))).toEqual(['model', 'messages', 'max_tokens', 'stream', 'stream_options']);
    expect(Object.keys(chatBody(p, []))).toEqual(['model', 'messages', 'max_tokens', 'top_p', 'frequency_penalty', 'presence_penalty', 'stream', 'stream_options']);
    expect(Object.keys(chatBody({ ...p, sampling: { temperature: 0, seed: 0 } }, []))).toEqual(['model', 'messages', 'max_tokens', 'temperature', 'seed', 'stream', 'stream_options']);
    expect(chatBody(p, [])).toEqual({ model: 'm', messages: [], max_tokens: 300, top_p: 0.9, frequency_penalty: 0.1, presence_penalty: 0.2, stream: true, stream_options: { include_usage: true } });
    expect(chatBody({ ...p, sampling: {} }, [])).toEqual({ model: 'm', messages: [], max_tokens: 300, stream: true, stream_options: { include_usage: true } });
  });

  it('with a preset, sends exactly its settings, its output limit or else the provider\'s', () => {
    const preset = { ...p, presetSampling: { temperature: 1.1, top_k: 40, max_tokens: 50 } };
    expect(chatBody(preset, [])).toEqual({ model: 'm', messages: [], max_tokens: 50, temperature: 1.1, top_k: 40, stream: true, stream_options: { include_usage: true } });
    expect(chatBody({ ...p, presetSampling: { min_p: 0.05 } }, [])).toMatchObject({ max_tokens: 300, min_p: 0.05 });
    expect(chatBody({ ...p, presetSampling: { min_p: 0.05 } }, [])).not.toHaveProperty('top_p');
  });

  it('a text completion sends the stop strings given once, not the preset\'s again', () => {
    const body = textBody({ ...p, presetSampling: { stop: ['</s>'], temperature: 0.7 } }, 'prompt', ['<|eot|>', '</s>']);
    expect(body).toEqual({ model: 'm', prompt: 'prompt', max_tokens: 300, temperature: 0.7, stop: ['<|eot|>', '</s>'], stream: true, stream_options: { include_usage: true } });
  });
});

describe('ledger outcomes', () => {
  it('are the failure\'s fixed tag, marked mid-reply after the first token unless the reply stalled', () => {
    const f = classify(APIError.generate(429, { error: { message: 'secret words' } }, undefined, new Headers()), key);
    expect(ledgerOutcome(f, false)).toBe('error: HTTP 429');
    expect(ledgerOutcome(f, true)).toBe('error: HTTP 429 mid-reply');
    expect(ledgerOutcome({ code: 'network', reason: 'the reply stalled for 30 s', retryable: false, tag: 'stalled' }, true)).toBe('error: stalled');
  });
});
