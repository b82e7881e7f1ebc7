/**
 * One request to one provider through the openai SDK: a streamed chat completion (with our own first-token and
 * stall timeouts and a stop signal), a tiny test request, or an image. Every call reports what it cost (a Meter)
 * for the ledger, and every failure as a short reason with the API key scrubbed out.
 *
 * What leaves the device: the prompt messages, the model and the provider's sampling settings. No `user` field,
 * no ids; the SDK's identity headers (User-Agent, X-Stainless-*) are deleted and http.node.ts sends only an
 * allow-listed set of headers. The SDK's environment fallbacks (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, …)
 * are all overridden, so nothing from the environment reaches a provider the user did not configure.
 */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ResolvedProvider, StoredProvider } from '../docs/settings-doc.node.ts';
import { ThinkSplitter } from './reasoning.std.ts';
import { meteredFetch, newMeter, type Meter } from './http.node.ts';
import type { ChatRequestMessage, Payload } from './request.std.ts';

/** SDK headers that describe this machine or library; null deletes them. */
const identityHeaders = [
  'User-Agent',
  'X-Stainless-Lang',
  'X-Stainless-Package-Version',
  'X-Stainless-OS',
  'X-Stainless-Arch',
  'X-Stainless-Runtime',
  'X-Stainless-Runtime-Version',
  'X-Stainless-Retry-Count',
  'X-Stainless-Timeout',
  'X-Stainless-Helper-Method',
  'X-Stainless-Async',
  'OpenAI-Organization',
  'OpenAI-Project',
] as const;

export function createClient(provider: Pick<StoredProvider, 'baseUrl' | 'apiKey'>, meter: Meter): OpenAI {
  const defaultHeaders: Record<string, null> = Object.fromEntries(identityHeaders.map((h) => [h, null]));
  // Local servers need no key: delete the Authorization header rather than send a made-up one.
  if (!provider.apiKey) defaultHeaders['Authorization'] = null;
  return new OpenAI({
    apiKey: provider.apiKey || 'no-key',
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    baseURL: provider.baseUrl,
    maxRetries: 0,
    timeout: 10 * 60_000,
    logLevel: 'off',
    defaultHeaders,
    fetch: meteredFetch(meter),
  });
}

/** Removes the API key (and anything shaped like one) from text that may come back from a provider. */
export function scrub(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[API key]');
  // Providers echo keys partly masked ("sk-abc***xyz"); drop any such token, and any of the key's long pieces.
  out = out.replace(/\b(sk|pk|rk|or|key)[-_][A-Za-z0-9_*-]{6,}/gi, '[API key]');
  if (apiKey && apiKey.length >= 12) {
    for (let i = 0; i + 8 <= apiKey.length; i += 4) out = out.split(apiKey.slice(i, i + 8)).join('[API key]');
  }
  return out.length > 300 ? `${out.slice(0, 297)}…` : out;
}

export interface Timeouts {
  /** From sending the request to the first text of the reply. */
  firstTokenMs: number;
  /** Longest silence once the reply has started. */
  stallMs: number;
}

export type Failure = {
  /** The provider answered with an error (HTTP status or an error in the stream) vs. could not be reached. */
  code: 'provider' | 'network';
  /** Short, human, key-free. */
  reason: string;
  /** True when the next provider should be tried (only meaningful before the first token). */
  retryable: boolean;
  /** For the ledger: fixed words, never text from the provider. */
  tag: string;
};

export type StreamOutcome =
  | { kind: 'complete'; model: string; finishReason: string | null; usage: { prompt: number; completion: number } | null }
  | { kind: 'stopped'; model: string }
  | { kind: 'failed'; afterFirstToken: boolean; model: string; failure: Failure };

export interface Attempt {
  outcome: StreamOutcome;
  meter: Meter;
  host: string;
  startedAt: number;
  /** Milliseconds from the request to the first text, if any came. */
  firstTokenMs: number | null;
}

const seconds = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`);

function connectionReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; cause?: { code?: string } } })?.cause;
  const code = cause?.code ?? cause?.cause?.code ?? (e as { code?: string })?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was cut';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'its TLS certificate was not accepted';
    default:
      return 'could not connect';
  }
}

/** Turns whatever the SDK threw into a Failure. `cause` is our own abort reason, if we aborted. */
export function classify(e: unknown, apiKey: string | undefined): Failure {
  if (e instanceof APIConnectionError) return { code: 'network', reason: connectionReason(e), retryable: true, tag: connectionReason(e) };
  if (e instanceof APIError) {
    const status = e.status;
    const body = e.error as { message?: unknown; param?: unknown } | undefined;
    const detail = scrub(body?.message?.toString() ?? '', apiKey);
    // Providers name the parameter they refuse in `param`; say it plainly so the preset can be fixed.
    const param = typeof body?.param === 'string' && body.param !== '' ? `; it does not accept the parameter "${body.param}"` : '';
    if (status === undefined) return { code: 'provider', reason: `the provider reported an error${detail ? `: ${detail}` : ''}`, retryable: false, tag: 'provider error' };
    const what =
      status === 401 ? 'the API key was refused'
      : status === 403 ? 'access denied'
      : status === 404 ? 'not found (check the base URL and model)'
      : status === 429 ? 'rate limited'
      : status >= 500 ? 'server error'
      : 'request refused';
    return { code: 'provider', reason: `HTTP ${status}: ${what}${detail ? ` (${detail})` : ''}${param}`, retryable: status === 429 || status >= 500, tag: `HTTP ${status}` };
  }
  const code = (e as { code?: string })?.code;
  if (code) return { code: 'network', reason: connectionReason(e), retryable: true, tag: connectionReason(e) };
  return { code: 'provider', reason: 'the reply could not be read', retryable: false, tag: 'unreadable reply' };
}

export interface StreamRequest {
  provider: ResolvedProvider;
  /** Chat completion: the messages. Text completion: the instruct-formatted prompt and its stop strings. */
  payload: Payload;
  timeouts: Timeouts;
  /** Aborting it stops the reply: the outcome is "stopped". */
  signal: AbortSignal;
  onText: (text: string) => void;
  /** The model's thinking, kept apart from the text: `<think>` blocks and `reasoning_content`/`reasoning` deltas. */
  onReasoning?: (text: string) => void;
  /** Filled in as bytes flow, so a caller can record a request that never finishes (the vault locked). */
  meter?: Meter;
}

/** The request body: the prompt, the model and the sampling settings; nothing else. */
export function chatBody(provider: ResolvedProvider, messages: ChatRequestMessage[]) {
  return { model: provider.model, messages, ...samplingOf(provider), stream: true as const, stream_options: { include_usage: true } };
}

/** The sampler parameters of a request: the preset's exactly when one is in force, else the provider's own. */
function samplingOf(provider: ResolvedProvider) {
  if (provider.presetSampling) {
    const { max_tokens, ...rest } = provider.presetSampling;
    return { max_tokens: max_tokens ?? provider.maxTokens, ...rest };
  }
  const s = provider.sampling ?? {};
  return {
    max_tokens: provider.maxTokens,
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.top_p !== undefined ? { top_p: s.top_p } : {}),
    ...(s.frequency_penalty !== undefined ? { frequency_penalty: s.frequency_penalty } : {}),
    ...(s.presence_penalty !== undefined ? { presence_penalty: s.presence_penalty } : {}),
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
  };
}

/**
 * The `/completions` body: one prompt, the sampler parameters, and the stop strings — the template's, then the
 * preset's (`stop` already holds both, so the preset's own `stop` is not sent twice).
 */
export function textBody(provider: ResolvedProvider, prompt: string, stop: string[]) {
  const { stop: _presetStop, ...sampling } = samplingOf(provider) as ReturnType<typeof samplingOf> & { stop?: string[] };
  return { model: provider.model, prompt, ...sampling, stop, stream: true as const, stream_options: { include_usage: true } };
}

export async function streamChat(req: StreamRequest): Promise<Attempt> {
  const { provider, timeouts } = req;
  const meter = req.meter ?? newMeter();
  const startedAt = Date.now();
  const host = new URL(provider.baseUrl).host;
  const controller = new AbortController();
  let timedOut: 'first' | 'stall' | null = null;
  let firstTokenMs: number | null = null;
  let model = provider.model;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, kind: 'first' | 'stall') => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = kind;
      controller.abort();
    }, ms);
  };
  const stop = () => controller.abort();
  if (req.signal.aborted) return { outcome: { kind: 'stopped', model }, meter, host, startedAt, firstTokenMs };
  req.signal.addEventListener('abort', stop, { once: true });
  arm(timeouts.firstTokenMs, 'first');

  const result = (outcome: StreamOutcome): Attempt => ({ outcome, meter, host, startedAt, firstTokenMs });
  const stoppedOrTimedOut = (): StreamOutcome | null => {
    if (timedOut === 'first') return { kind: 'failed', afterFirstToken: false, model, failure: { code: 'network', reason: `no reply within ${seconds(timeouts.firstTokenMs)}`, retryable: true, tag: 'timeout before the first token' } };
    if (timedOut === 'stall') return { kind: 'failed', afterFirstToken: true, model, failure: { code: 'network', reason: `the reply stalled for ${seconds(timeouts.stallMs)}`, retryable: false, tag: 'stalled' } };
    if (req.signal.aborted) return { kind: 'stopped', model };
    return null;
  };

  let finishReason: string | null = null;
  let usage: { prompt: number; completion: number } | null = null;
  try {
    const client = createClient(provider, meter);
    const payload = req.payload;
    const stream =
      payload.kind === 'chat'
        ? await client.chat.completions.create(chatBody(provider, payload.messages), { signal: controller.signal })
        : await client.completions.create(textBody(provider, payload.prompt, payload.stop), { signal: controller.signal });
    const splitter = new ThinkSplitter();
    const deliver = (piece: { text: string; reasoning: string }) => {
      if (piece.reasoning) req.onReasoning?.(piece.reasoning);
      if (piece.text) req.onText(piece.text);
    };
    for await (const chunk of stream) {
      if (chunk.model) model = chunk.model;
      if (chunk.usage) usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens };
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      // A text completion's choice holds `text`; a chat chunk's a `delta`. Not in the SDK's types: DeepSeek and
      // vLLM send `reasoning_content`, OpenRouter and Ollama `reasoning`.
      const delta = ('text' in choice ? { content: choice.text } : choice.delta) as { content?: string | null; reasoning_content?: unknown; reasoning?: unknown } | undefined;
      const thought = typeof delta?.reasoning_content === 'string' ? delta.reasoning_content : typeof delta?.reasoning === 'string' ? delta.reasoning : '';
      const text = delta?.content ?? '';
      if (!text && !thought) continue;
      if (firstTokenMs === null) firstTokenMs = Date.now() - startedAt;
      arm(timeouts.stallMs, 'stall');
      if (thought) req.onReasoning?.(thought);
      if (text) deliver(splitter.push(text));
    }
    deliver(splitter.end());
    // The SDK ends the iteration quietly when the request is aborted: find out whether that was us.
    return result(stoppedOrTimedOut() ?? { kind: 'complete', model, finishReason, usage });
  } catch (e) {
    const ours = stoppedOrTimedOut();
    if (ours) return result(ours);
    const failure = classify(e, provider.apiKey);
    return result({ kind: 'failed', afterFirstToken: firstTokenMs !== null, model, failure });
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', stop);
  }
}

/** provider.test: a one-token completion, which checks the URL, the key and the model at once. */
export async function testProvider(provider: StoredProvider, timeoutMs: number): Promise<{ attempt: Omit<Attempt, 'outcome'>; ok: boolean; message: string }> {
  const meter = newMeter();
  const startedAt = Date.now();
  const host = new URL(provider.baseUrl).host;
  const client = createClient(provider, meter);
  const signal = AbortSignal.timeout(timeoutMs);
  const done = (ok: boolean, message: string) => ({ attempt: { meter, host, startedAt, firstTokenMs: null }, ok, message });
  try {
    // A text-completion server may not serve chat completions: test the endpoint its replies will use.
    const res =
      provider.completion === 'text'
        ? await client.completions.create({ model: provider.model, prompt: 'Say OK.', max_tokens: 1, stream: false }, { signal })
        : await client.chat.completions.create({ model: provider.model, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 1, stream: false }, { signal });
    return done(true, `${provider.name} answered (model ${res.model || provider.model}).`);
  } catch (e) {
    if (signal.aborted) return done(false, `${provider.name}: no answer within ${seconds(timeoutMs)}.`);
    return done(false, `${provider.name}: ${classify(e, provider.apiKey).reason}.`);
  }
}

/** provider.models: the ids the endpoint's `/models` lists, sorted; the editor offers them beside free text. */
export async function listModels(provider: Pick<StoredProvider, 'baseUrl' | 'apiKey'>, timeoutMs: number): Promise<{ attempt: Omit<Attempt, 'outcome'>; models: string[] | null; message: string }> {
  const meter = newMeter();
  const startedAt = Date.now();
  const host = new URL(provider.baseUrl).host;
  const signal = AbortSignal.timeout(timeoutMs);
  const done = (models: string[] | null, message: string) => ({ attempt: { meter, host, startedAt, firstTokenMs: null }, models, message });
  try {
    const ids: string[] = [];
    for await (const m of createClient(provider, meter).models.list({ signal })) {
      if (typeof m.id === 'string' && m.id !== '') ids.push(m.id);
      if (ids.length >= 5_000) break;
    }
    return done([...new Set(ids)].sort(), '');
  } catch (e) {
    if (signal.aborted) return done(null, `no answer within ${seconds(timeoutMs)}`);
    return done(null, classify(e, provider.apiKey).reason);
  }
}

/** chat.generatePortrait: one PNG through the images endpoint. */
export async function generateImage(
  provider: StoredProvider,
  prompt: string,
  timeoutMs: number,
): Promise<{ attempt: Omit<Attempt, 'outcome'>; bytes?: Uint8Array; failure?: Failure }> {
  const meter = newMeter();
  const startedAt = Date.now();
  const host = new URL(provider.baseUrl).host;
  const client = createClient(provider, meter);
  const signal = AbortSignal.timeout(timeoutMs);
  const attempt = { meter, host, startedAt, firstTokenMs: null };
  try {
    const res = await client.images.generate({ prompt, n: 1, size: '512x512', response_format: 'b64_json' }, { signal });
    const b64 = res.data?.[0]?.b64_json;
    if (!b64) return { attempt, failure: { code: 'provider', reason: 'the answer held no image', retryable: true, tag: 'no image' } };
    return { attempt, bytes: new Uint8Array(Buffer.from(b64, 'base64')) };
  } catch (e) {
    if (signal.aborted) return { attempt, failure: { code: 'network', reason: `no answer within ${seconds(timeoutMs)}`, retryable: true, tag: 'timeout' } };
    return { attempt, failure: classify(e, provider.apiKey) };
  }
}
