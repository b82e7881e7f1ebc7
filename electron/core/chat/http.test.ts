// The HTTP layer every provider request goes through (http.node.ts): which headers leave the device, what the
// ledger's meter counts, and how aborts and cut connections end a reply. The peer is a raw TCP server on 127.0.0.1
// that records the exact bytes it receives and answers with exact bytes, because these tests are about the bytes
// on the wire, which the fake OpenAI server (used by provider-client.test.ts and tests/chat/privacy.test.ts) does
// not expose.
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedHeaders, meteredFetch, newMeter } from './http.node.ts';

interface Peer {
  url: string;
  /** Each request as received, byte for byte. */
  received: Buffer[];
  close(): Promise<void>;
}

const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
});

/** Answers every request with `reply(socket)` once its head and `content-length` body have arrived. */
async function peer(reply: (socket: Socket) => void): Promise<Peer> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      received.push(buf);
      buf = Buffer.alloc(0);
      reply(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const p: Peer = {
    url: `http://127.0.0.1:${port}/v1/chat/completions?x=1`,
    received,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  peers.push(p);
  return p;
}

const okReply = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Extra: yes\r\n\r\nhello';
// Written, not ended: Node keeps the connection alive for the next request.
const answer = (text: string) => (s: Socket) => void s.write(text);
const headerNames = (request: Buffer) => request.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n').slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());

describe('what leaves the device', () => {
  it('sends only the allowed headers, whatever form they come in, and counts the bytes as they are on the wire', async () => {
    const p = await peer(answer(okReply));
    const body = '{"model":"m"}';
    const forms: HeadersInit[] = [
      { Authorization: 'Bearer k', 'User-Agent': 'OpenAI/JS', 'X-Stainless-OS': 'Linux', 'Content-Type': 'application/json', Accept: 'application/json' },
      new Headers({ authorization: 'Bearer k', 'user-agent': 'node', 'content-type': 'application/json', accept: 'application/json' }),
      [['Authorization', 'Bearer k'], ['Accept-Language', 'fr'], ['Content-Type', 'application/json'], ['Accept', 'application/json']],
    ];
    for (const headers of forms) {
      const meter = newMeter();
      const res = await meteredFetch(meter)(p.url, { method: 'post', headers, body });
      expect(await res.text()).toBe('hello');
      expect(res.headers.get('x-extra')).toBe('yes');
      const request = p.received.at(-1)!;
      expect(request.toString('latin1').startsWith('POST /v1/chat/completions?x=1 HTTP/1.1\r\n')).toBe(true);
      expect(headerNames(request).sort()).toEqual(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host']);
      expect(request.toString('latin1')).toContain('\r\nauthorization: Bearer k\r\n');
      expect(request.toString('latin1').endsWith(`\r\n\r\n${body}`)).toBe(true);
      // The meter counts every byte sent except the Connection header Node adds itself, and every byte received.
      expect(meter.bytesOut).toBe(request.length - 'Connection: keep-alive\r\n'.length);
      expect(meter.bytesIn).toBe(Buffer.byteLength(okReply));
      expect(meter.status).toBe(200);
    }
    expect([...allowedHeaders].sort()).toEqual(['accept', 'authorization', 'content-length', 'content-type']);
  });

  it('drops headers whose value is missing, and sends a body of bytes exactly, even a view into a larger buffer', async () => {
    const p = await peer(answer(okReply));
    const big = new TextEncoder().encode('xx{"a":1}yy');
    await meteredFetch(newMeter())(new URL(p.url), { method: 'POST', headers: { accept: undefined, authorization: null } as unknown as HeadersInit, body: big.subarray(2, 9) });
    const sent = p.received.at(-1)!.toString('latin1');
    expect(headerNames(p.received.at(-1)!).sort()).toEqual(['connection', 'content-length', 'host']);
    expect(sent).toContain('\r\ncontent-length: 7\r\n');
    expect(sent.endsWith('\r\n\r\n{"a":1}')).toBe(true);
    await meteredFetch(newMeter())(p.url, { method: 'POST', body: new TextEncoder().encode('[1]').buffer });
    const array = p.received.at(-1)!.toString('latin1');
    expect(array).toContain('\r\ncontent-length: 3\r\n');
    expect(array.endsWith('\r\n\r\n[1]')).toBe(true);
  });

  it('gives a POST without a body a zero length and a GET none, and counts the GET as sent', async () => {
    const p = await peer(answer(okReply));
    for (const body of [undefined, null]) {
      await meteredFetch(newMeter())(p.url, { method: 'POST', body });
      expect(p.received.at(-1)!.toString('latin1')).toContain('\r\ncontent-length: 0\r\n');
    }
    const meter = newMeter();
    await (await meteredFetch(meter)(new Request(p.url))).text();
    const get = p.received.at(-1)!;
    expect(get.toString('latin1').startsWith('GET /v1/chat/completions?x=1 HTTP/1.1\r\n')).toBe(true);
    expect(headerNames(get)).not.toContain('content-length');
    expect(meter.bytesOut).toBe(get.length - 'Connection: keep-alive\r\n'.length);
  });

  it('refuses other protocols and bodies it cannot count, before connecting', async () => {
    await expect(meteredFetch(newMeter())('file:///etc/passwd')).rejects.toThrow('unsupported protocol file:');
    await expect(meteredFetch(newMeter())('http://127.0.0.1:9/', { method: 'POST', body: new Blob(['x']) })).rejects.toThrow('unsupported request body');
  });
});

describe('how a reply ends', () => {
  it('gives HEAD, 204 and 304 answers no body, and the status of an error answer to the meter', async () => {
    const p = await peer(answer('HTTP/1.1 204 No Content\r\n\r\n'));
    const meter = newMeter();
    const res = await meteredFetch(meter)(p.url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(meter.bytesIn).toBe('HTTP/1.1 204 No Content\r\n\r\n'.length);

    const q = await peer(answer('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno'));
    const m = newMeter();
    const r = await meteredFetch(m)(q.url, { method: 'POST', body: '{}' });
    expect([r.status, r.statusText, await r.text(), m.status]).toEqual([503, 'Service Unavailable', 'no', 503]);
  });

  it('a connection cut before the reply is complete ends the body with an error the SDK reads as a cut', async () => {
    const p = await peer((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart');
      setTimeout(() => s.destroy(), 20);
    });
    const res = await meteredFetch(newMeter())(p.url, { method: 'POST', body: '{}' });
    const error = await res.text().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET', message: 'The connection closed before the reply was complete.' });
  });

  it('stops on the caller\'s signal: before sending, while waiting for the answer, and mid-body', async () => {
    const early = new AbortController();
    early.abort(new Error('stopped early'));
    await expect(meteredFetch(newMeter())('http://127.0.0.1:9/', { signal: early.signal })).rejects.toThrow('stopped early');

    const silent = await peer(() => {});
    const waiting = new AbortController();
    const pending = meteredFetch(newMeter())(silent.url, { method: 'POST', body: '{}', signal: waiting.signal });
    setTimeout(() => waiting.abort(new Error('stopped waiting')), 20);
    await expect(pending).rejects.toThrow('stopped waiting');

    const slow = await peer((s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart'));
    const reading = new AbortController();
    const res = await meteredFetch(newMeter())(slow.url, { method: 'POST', body: '{}', signal: reading.signal });
    setTimeout(() => reading.abort(new Error('stopped reading')), 20);
    await expect(res.text()).rejects.toThrow('stopped reading');
  });

  it('reports a refused connection as the error it is', async () => {
    const p = await peer(() => {});
    const url = p.url;
    await p.close();
    peers.splice(peers.indexOf(p), 1);
    await expect(meteredFetch(newMeter())(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
