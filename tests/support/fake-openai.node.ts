/**
 * The one stand-in the tests allow: a local HTTP server on 127.0.0.1 (random port) that speaks the OpenAI wire
 * format the way real providers do, scriptable per test. Used by chat tests, UI end-to-end tests and benches.
 *
 *   const ai = await startFakeOpenAI({ model: 'fake-model' });
 *   ai.baseUrl                     // "http://127.0.0.1:PORT/v1" — give it to provider.add
 *   ai.script({ text: 'Hello there!' }, { error: { status: 429 } })   // next two chat completions, in order
 *   ai.setDefault({ tokens: ['a', 'b'], tokenDelayMs: 5 })             // what unscripted requests get
 *   ai.scriptImages({ error: { status: 500 } })                         // next image generations
 *   ai.requests                    // every request: { method, path, headers (lower-case), body (parsed JSON), at }
 *   ai.chatRequests()              // only POST …/chat/completions
 *   ai.completionRequests()        // only POST …/completions (text completion)
 *   await ai.close()               // also destroys stalled connections
 *   await closedBaseUrl()          // a base URL where nothing listens (connection refused)
 *
 * Routes (matched by path suffix, so any prefix such as /v1 or /api/v1 works):
 *   POST …/chat/completions   `stream: true` → text/event-stream: a role-only first delta, one chunk per token,
 *                             an empty `choices: []` chunk every `emptyChoicesEvery` tokens (default 3), a chunk with
 *                             finish_reason, a usage chunk (choices: []) when `stream_options.include_usage`, then
 *                             `data: [DONE]`. Otherwise one chat.completion JSON with usage.
 *   POST …/completions        text completion (llama.cpp/KoboldCpp `/v1/completions`): the same replies and faults,
 *                             streamed as `choices: [{ text }]` chunks (no role chunk, no reasoning deltas).
 *   GET  …/models             the model list ({ object: 'list', data: [{ id: model, … }] }).
 *   POST …/images/generations one image as b64_json (a valid PNG), or a scripted error.
 *
 * A reply (FakeReply) is either an error — HTTP status with an OpenAI-style JSON body
 * `{ error: { message, type, param, code } }` — or text, with faults placed in the stream:
 *   responseDelayMs   wait before sending headers at all
 *   firstTokenDelayMs after headers and the role-only chunk, wait before the first token (a "stall before the first token")
 *   tokenDelayMs      wait between tokens
 *   stallAfterTokens + stallMs       after N tokens, stop sending for stallMs (Infinity: until closed)
 *   stallAfterTokens + stallUntil    after N tokens, stop sending until the promise settles: a test that looks at a
 *                                    reply mid-stream holds it there for as long as its look takes, however busy the
 *                                    machine, instead of racing a token delay
 *   cutAfterTokens    after N tokens, destroy the socket (a connection cut mid-stream)
 *   errorAfterTokens + streamError   after N tokens, send `data: {"error": {...}}` and end (a provider error mid-stream)
 *   reasoning         thinking deltas (`reasoning_content`, or `reasoningField`) sent before the first token
 * Tokens are `tokens` (string[] or a function of the index called at send time, returning null to end — benches
 * embed send timestamps this way) or `text` split after each space.
 * `requireApiKey` makes requests without `Authorization: Bearer <key>` get a 401.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeError {
  status: number;
  message?: string;
  type?: string;
  code?: string | null;
  /** The request parameter the error is about (OpenAI's `param`), e.g. one a provider does not accept. */
  param?: string | null;
}

export interface FakeReply {
  text?: string;
  tokens?: string[] | ((index: number) => string | null);
  tokenDelayMs?: number;
  responseDelayMs?: number;
  firstTokenDelayMs?: number;
  stallAfterTokens?: number;
  stallMs?: number;
  stallUntil?: Promise<unknown>;
  cutAfterTokens?: number;
  errorAfterTokens?: number;
  streamError?: { message: string; type?: string; code?: string | null };
  /** Insert an empty `choices: []` chunk after every N tokens (0: never). Default 3. */
  emptyChoicesEvery?: number;
  finishReason?: 'stop' | 'length';
  /**
   * Thinking sent before the answer as separate deltas, the way reasoning models' APIs do: `reasoning_content`
   * (DeepSeek, vLLM) by default, or `reasoning` (OpenRouter, Ollama) with `reasoningField`.
   */
  reasoning?: string[];
  reasoningField?: 'reasoning_content' | 'reasoning';
  /** Overrides the model name the reply reports. */
  model?: string;
  error?: FakeError;
}

export interface FakeImageReply {
  /** Base64 of the image to return; default a valid 1×1 PNG. */
  b64?: string;
  error?: FakeError;
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text if it was not JSON, or null without a body. */
  body: unknown;
  rawBody: string;
  at: number;
}

export interface FakeOpenAIOptions {
  model?: string;
  requireApiKey?: string;
  /** The reply for requests nothing was scripted for. Default: "Hello from the fake model." */
  defaultReply?: FakeReply;
}

export interface FakeOpenAI {
  baseUrl: string;
  port: number;
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  /** Only POST …/completions (text completion, not chat). */
  completionRequests(): RecordedRequest[];
  /** Queues replies for the next chat completions, in order. */
  script(...replies: FakeReply[]): void;
  scriptImages(...replies: FakeImageReply[]): void;
  setDefault(reply: FakeReply): void;
  /** Number of chat replies still queued. */
  pending(): number;
  /**
   * A random marker in the text of every error this server sends without a scripted message (HTTP errors and
   * mid-stream errors): what must never reach the ledger, a log or a file, so tests can look for it.
   */
  errorCanary: string;
  close(): Promise<void>;
}

/** A valid 1×1 transparent PNG. */
export const tinyPngBase64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const errorTypes: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' },
  429: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', message: 'Rate limit reached. Please try again later.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

/** Word by word, each with the spaces after it (the first with those before it too); joins back to `text`. */
function splitText(text: string): string[] {
  const parts = text.match(/ *[^ ]+ */g) ?? [];
  return parts.join('') === text ? parts : text ? [text] : [];
}

function errorBody(e: FakeError, canary: string) {
  const known = errorTypes[e.status];
  return { error: { message: e.message ?? `${known?.message ?? `Error ${e.status}.`} (${canary})`, type: e.type ?? known?.type ?? 'server_error', param: e.param ?? null, code: e.code ?? known?.code ?? null } };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const model = options.model ?? 'fake-model';
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  const imageQueue: FakeImageReply[] = [];
  let fallback: FakeReply = options.defaultReply ?? { text: 'Hello from the fake model.' };
  const sockets = new Set<Socket>();
  let closing = false;
  const closers = new Set<() => void>();
  let seq = 0;
  const errorCanary = `FAKE-PROVIDER-ERROR-${randomBytes(6).toString('hex')}`;

  /** Waits ms (Infinity: until close) or until a promise settles; resolves false if the server is closing or the client went away. */
  const wait = (ms: number | Promise<unknown>, res: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      if (closing || res.destroyed) return resolve(false);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        closers.delete(stop);
        res.off('close', gone);
        resolve(ok && !closing && !res.destroyed);
      };
      const stop = () => done(false);
      const gone = () => done(false);
      const timer = typeof ms === 'number' && Number.isFinite(ms) ? setTimeout(() => done(true), ms) : undefined;
      if (typeof ms !== 'number') void ms.then(() => done(true), () => done(true));
      closers.add(stop);
      res.on('close', gone);
    });

  const sendJson = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  async function chat(req: RecordedRequest, res: ServerResponse, textCompletion = false): Promise<void> {
    const reply = queue.shift() ?? fallback;
    const body = (req.body ?? {}) as { stream?: boolean; stream_options?: { include_usage?: boolean }; messages?: unknown[]; prompt?: unknown };
    if (reply.responseDelayMs && !(await wait(reply.responseDelayMs, res))) return;
    if (reply.error) return sendJson(res, reply.error.status, errorBody(reply.error, errorCanary));
    const isText = textCompletion;
    const id = `${isText ? 'cmpl' : 'chatcmpl'}-fake${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const replyModel = reply.model ?? (typeof (req.body as { model?: unknown })?.model === 'string' ? (req.body as { model: string }).model : model);
    const promptTokens = JSON.stringify(textCompletion ? (body.prompt ?? '') : (body.messages ?? [])).length >> 2;
    const tokenAt = (i: number): string | null => {
      if (typeof reply.tokens === 'function') return reply.tokens(i);
      const list = reply.tokens ?? splitText(reply.text ?? '');
      return i < list.length ? list[i]! : null;
    };

    if (!body.stream) {
      let text = '';
      for (let i = 0, t = tokenAt(0); t !== null; t = tokenAt(++i)) text += t;
      if (isText) {
        return sendJson(res, 200, {
          id, object: 'text_completion', created, model: replyModel,
          choices: [{ index: 0, text, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }],
          usage: { prompt_tokens: promptTokens, completion_tokens: splitText(text).length, total_tokens: promptTokens + splitText(text).length },
        });
      }
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: replyModel,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: splitText(text).length, total_tokens: promptTokens + splitText(text).length },
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: isText ? 'text_completion' : 'chat.completion.chunk', created, model: replyModel, system_fingerprint: 'fp_fake', choices, ...extra })}\n\n`;
    // A text completion streams `text` in each choice (llama.cpp's and KoboldCpp's /v1/completions), no deltas or roles.
    const delta = (d: Record<string, unknown>, finish: string | null = null) =>
      isText ? chunk([{ index: 0, text: typeof d['content'] === 'string' ? d['content'] : '', logprobs: null, finish_reason: finish }]) : chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    if (!isText) res.write(delta({ role: 'assistant', content: '', refusal: null }));
    if (reply.firstTokenDelayMs && !(await wait(reply.firstTokenDelayMs, res))) return;
    for (const piece of isText ? [] : (reply.reasoning ?? [])) res.write(delta({ content: null, [reply.reasoningField ?? 'reasoning_content']: piece }));
    const emptyEvery = reply.emptyChoicesEvery ?? 3;
    let sent = 0;
    for (;;) {
      if (reply.cutAfterTokens === sent) {
        // Let what was written reach the client first, then cut without ending the chunked body.
        const socket = res.socket;
        if (socket) await new Promise<void>((resolve) => socket.write('', () => resolve()));
        socket?.destroy();
        return;
      }
      if (reply.errorAfterTokens === sent) {
        const e = reply.streamError ?? { message: `The server had an error while processing your request. (${errorCanary})`, type: 'server_error' };
        res.end(`data: ${JSON.stringify({ error: { message: e.message, type: e.type ?? 'server_error', param: null, code: e.code ?? null } })}\n\n`);
        return;
      }
      if (reply.stallAfterTokens === sent && !(await wait(reply.stallUntil ?? reply.stallMs ?? Infinity, res))) return;
      if (sent > 0 && reply.tokenDelayMs && !(await wait(reply.tokenDelayMs, res))) return;
      // Asked for only now, so a function of the index sees the moment its token is sent.
      const token = tokenAt(sent);
      if (token === null) break;
      res.write(delta({ content: token }));
      sent++;
      if (emptyEvery > 0 && sent % emptyEvery === 0) res.write(chunk([]));
    }
    res.write(delta({}, reply.finishReason ?? 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(chunk([], { usage: { prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent } }));
    }
    res.end('data: [DONE]\n\n');
  }

  async function images(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const reply = imageQueue.shift() ?? {};
    if (reply.delayMs && !(await wait(reply.delayMs, res))) return;
    if (reply.error) return sendJson(res, reply.error.status, errorBody(reply.error, errorCanary));
    const n = Math.max(1, Number((req.body as { n?: number })?.n ?? 1));
    sendJson(res, 200, { created: Math.floor(Date.now() / 1000), data: Array.from({ length: n }, () => ({ b64_json: reply.b64 ?? tinyPngBase64 })) });
  }

  const server: Server = createServer((inc: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    inc.on('data', (c: Buffer) => chunks.push(c));
    inc.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      if (rawBody) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(inc.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const path = (inc.url ?? '/').split('?')[0]!;
      const recorded: RecordedRequest = { method: inc.method ?? 'GET', path, headers, body, rawBody, at: Date.now() };
      requests.push(recorded);
      if (options.requireApiKey !== undefined && headers['authorization'] !== `Bearer ${options.requireApiKey}`) {
        return sendJson(res, 401, errorBody({ status: 401 }, errorCanary));
      }
      const route = `${recorded.method} ${path}`;
      const run =
        recorded.method === 'POST' && path.endsWith('/chat/completions')
          ? chat(recorded, res)
          : recorded.method === 'POST' && path.endsWith('/completions')
            ? chat(recorded, res, true)
          : recorded.method === 'POST' && path.endsWith('/images/generations')
            ? images(recorded, res)
            : recorded.method === 'GET' && path.endsWith('/models')
              ? Promise.resolve(sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 1_700_000_000, owned_by: 'fake' }] }))
              : Promise.resolve(sendJson(res, 404, errorBody({ status: 404, message: `Unknown route ${route}`, code: 'unknown_url' }, errorCanary)));
      run.catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    chatRequests: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')),
    completionRequests: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/completions') && !r.path.endsWith('/chat/completions')),
    script: (...replies) => void queue.push(...replies),
    scriptImages: (...replies) => void imageQueue.push(...replies),
    setDefault: (reply) => void (fallback = reply),
    pending: () => queue.length,
    errorCanary,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const stop of [...closers]) stop();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A base URL on 127.0.0.1 where nothing listens, so connecting is refused. */
export async function closedBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
