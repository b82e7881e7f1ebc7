/**
 * The fetch the openai SDK gets: node:http(s) with exactly the headers we allow, and a meter for the ledger.
 *
 * Why not the global fetch: undici adds headers of its own (user-agent "node", accept-language, sec-fetch-mode,
 * accept-encoding) after the SDK has built its list, so "no extra headers" could not hold. Here every header on the
 * wire is one of `allowedHeaders` (plus Host and Connection, which HTTP itself needs). The SDK's own identity headers
 * (User-Agent, X-Stainless-*) are deleted in the client options as well (provider-client.node.ts); this list is the
 * second line, and also catches whatever OPENAI_CUSTOM_HEADERS would add.
 */
import http from 'node:http';
import https from 'node:https';

export const allowedHeaders = new Set(['authorization', 'content-type', 'accept', 'content-length']);

/** What one request cost, for the ledger. Bytes count request/status lines, headers and bodies. */
export interface Meter {
  bytesOut: number;
  bytesIn: number;
  status: number | null;
}

export const newMeter = (): Meter => ({ bytesOut: 0, bytesIn: 0, status: null });

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  // Streams and form data are never sent by the requests we make (chat, images, models as JSON).
  throw new TypeError('unsupported request body');
}

/** Headers as a plain object, whatever form the SDK passed them in. */
function headerEntries(h: unknown): [string, string][] {
  if (!h) return [];
  if (h instanceof Headers) return [...h.entries()];
  if (Array.isArray(h)) return h.map(([k, v]) => [String(k).toLowerCase(), String(v)]);
  return Object.entries(h as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k.toLowerCase(), String(v)]);
}

export function meteredFetch(meter: Meter): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = bodyBytes(init?.body);
    const headers: Record<string, string> = {};
    for (const [k, v] of headerEntries(init?.headers)) if (allowedHeaders.has(k)) headers[k] = v;
    if (body.length > 0 || method === 'POST') headers['content-length'] = String(body.length);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');

    return new Promise<Response>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      let streamController: ReadableStreamDefaultController<Uint8Array> | null = null;
      let settled = false;
      const onAbort = () => {
        const reason = signal?.reason ?? new DOMException('aborted', 'AbortError');
        req.destroy();
        if (!settled) {
          settled = true;
          reject(reason);
        } else {
          try {
            streamController?.error(reason);
          } catch {
            // already closed
          }
        }
      };
      const req = mod.request(url, { method, headers }, (res) => {
        meter.status = res.statusCode ?? null;
        meter.bytesIn += `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + res.rawHeaders.reduce((n, h) => n + h.length + 2, 0) + 2;
        const responseHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        let ended = false;
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            streamController = controller;
            res.on('data', (c: Buffer) => {
              meter.bytesIn += c.length;
              controller.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
            });
            res.on('end', () => {
              ended = true;
              signal?.removeEventListener('abort', onAbort);
              controller.close();
            });
            res.on('error', () => {});
            res.on('close', () => {
              if (ended || signal?.aborted) return;
              try {
                controller.error(Object.assign(new Error('The connection closed before the reply was complete.'), { code: 'ECONNRESET' }));
              } catch {
                // already errored
              }
            });
          },
          cancel() {
            res.destroy();
          },
        });
        const noBody = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        settled = true;
        resolve(new Response(noBody ? null : stream, { status: res.statusCode ?? 500, statusText: res.statusMessage ?? '', headers: responseHeaders }));
      });
      req.on('error', (e) => {
        signal?.removeEventListener('abort', onAbort);
        if (!settled) {
          settled = true;
          reject(e);
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      meter.bytesOut += `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + `host: ${url.host}\r\n\r\n`.length + body.length;
      req.end(body);
    });
  }) as typeof fetch;
}
