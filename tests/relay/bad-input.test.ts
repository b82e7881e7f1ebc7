/**
 * Bad input on every relay endpoint — malformed frames, oversized bodies, bad signatures, unknown devices, broken
 * HTTP — gets a clear refusal (an `error` frame with a code and a message, or an HTTP status with a JSON reason),
 * the connection is closed where it must be, and the relay keeps serving everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { encodeFrame } from '../../shared/sync/frame.std.ts';
import { decodeRelayMessage, type RelayMessage } from '../../shared/sync/messages.std.ts';
import { RelayError } from '../../shared/sync/client.std.ts';
import { connectDevice, enrollDevice, newAccount, newKeys, randomId, type TestDevice } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const MAX = 64 * 1024;
let relay: TestRelay;
let device: TestDevice;
beforeAll(async () => {
  relay = await startTestRelay({ limits: { maxFrameBytes: MAX } });
  device = await enrollDevice(relay.url, newAccount());
});
afterAll(async () => {
  await relay?.close();
});

interface Raw {
  ws: WebSocket;
  messages: RelayMessage[];
  closed: Promise<number>;
}
async function raw(path = ''): Promise<Raw> {
  const ws = new WebSocket(relay.url + path);
  const messages: RelayMessage[] = [];
  ws.on('message', (data) => {
    const d = decodeRelayMessage(new Uint8Array(data as Buffer));
    if (!d.ok) throw new Error(`relay sent an invalid frame: ${d.message}`);
    messages.push(d.message);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, closed };
}
const firstError = async (r: Raw) => {
  await expect.poll(() => r.messages.length).toBeGreaterThan(0);
  const m = r.messages[0]!;
  if (m.t !== 'error') throw new Error(`expected an error frame, got ${m.t}`);
  return m;
};
const isOpen = (r: Raw) => r.ws.readyState === WebSocket.OPEN;

/** A frame with a hand-made header and blobs. */
const frame = (header: string, blobs: Uint8Array[] = [], version = 1, headerLength?: number) => {
  const h = Buffer.from(header);
  const prefix = Buffer.alloc(5);
  prefix[0] = version;
  prefix.writeUInt32BE(headerLength ?? h.length, 1);
  return Buffer.concat([prefix, h, ...blobs]);
};

describe('bad input', () => {
  const fatal: [string, (ws: WebSocket) => void][] = [
    ['a text frame', (ws) => ws.send('{"t":"hello"}')],
    ['random bytes', (ws) => ws.send(Buffer.from(randomId()))],
    ['an unknown frame version', (ws) => ws.send(frame('{"$blobs":[]}', [], 9))],
    ['a header length beyond the frame', (ws) => ws.send(frame('{"$blobs":[]}', [], 1, 5000))],
    ['a header that is not JSON', (ws) => ws.send(frame('{"t":"hello",', []))],
    ['a header that is a JSON array', (ws) => ws.send(frame('[1,2,3]'))],
    ['blob lengths that do not add up', (ws) => ws.send(frame('{"t":"pull","id":1,"after":0,"$blobs":[10]}', [new Uint8Array(3)]))],
    ['trailing bytes after the blobs', (ws) => ws.send(frame('{"t":"pull","id":1,"after":0,"$blobs":[]}', [new Uint8Array(3)]))],
    ['a blob reference out of range', (ws) => ws.send(frame('{"t":"pairTake","mailbox":{"$b":3},"$blobs":[]}'))],
    ['a reserved key', (ws) => ws.send(frame('{"__proto__":{"x":1},"$blobs":[]}'))],
  ];
  for (const [what, send] of fatal) {
    it(`refuses ${what} with bad_frame and closes`, async () => {
      const r = await raw();
      send(r.ws);
      const e = await firstError(r);
      expect(e).toMatchObject({ code: 'bad_frame', fatal: true });
      expect(e.message.length).toBeGreaterThan(10);
      expect(await r.closed).toBe(1008);
    });
  }

  const recoverable: [string, object, RegExp][] = [
    ['an unknown message type', { t: 'launch', id: 7 }, /t/],
    ['a document id of the wrong length', { t: 'pairTake', id: 7, mailbox: new Uint8Array(31) }, /mailbox/],
    ['a string where bytes belong', { t: 'pairTake', id: 7, mailbox: 'abc' }, /mailbox/],
    ['an extra field', { t: 'pull', id: 7, after: 0, sneaky: true }, /sneaky|unrecognized/i],
    ['a negative cursor', { t: 'pull', id: 7, after: -1 }, /after/],
    ['a huge pairing lifetime', { t: 'pairPut', id: 7, mailbox: randomId(), body: new Uint8Array(3), ttlMs: 1e12 }, /ttlMs/],
  ];
  for (const [what, message, mentions] of recoverable) {
    it(`refuses ${what} with bad_frame, naming the field, and keeps the connection`, async () => {
      const r = await raw();
      r.ws.send(encodeFrame(message));
      const e = await firstError(r);
      expect(e).toMatchObject({ code: 'bad_frame', fatal: false, id: 7 });
      expect(e.message).toMatch(mentions);
      expect(isOpen(r)).toBe(true);
      r.ws.close();
    });
  }

  it('refuses a frame over the size limit with too_large, and keeps the connection', async () => {
    const r = await raw();
    r.ws.send(encodeFrame({ t: 'pairTake', id: 3, mailbox: new Uint8Array(MAX + 10) }));
    expect(await firstError(r)).toMatchObject({ code: 'too_large', fatal: false });
    expect(isOpen(r)).toBe(true);
    r.ws.close();
  });

  it('cuts off a frame far over the limit at the socket layer (1009)', async () => {
    const r = await raw();
    r.ws.send(Buffer.alloc(MAX * 4));
    expect(await r.closed).toBe(1009);
  });

  it('refuses uploads with a bad signature or naming another device, and stores nothing', async () => {
    const c = await connectDevice(relay.url, device);
    const doc = randomId();
    const forged = await c.request({ t: 'upload', docId: doc, deviceId: device.deviceId, deviceSeq: 1, body: new Uint8Array(8), sig: new Uint8Array(64) }).catch((e: unknown) => e);
    expect(forged).toBeInstanceOf(RelayError);
    expect((forged as RelayError).relayCode).toBe('auth_failed');
    const other = newKeys().publicKey;
    const wrongDevice = await c.request({ t: 'upload', docId: doc, deviceId: other, deviceSeq: 1, body: new Uint8Array(8), sig: new Uint8Array(64) }).catch((e: unknown) => e);
    expect((wrongDevice as RelayError).relayCode).toBe('auth_failed');
    expect((await c.pull(0)).items).toEqual([]);
    expect(c.isOpen).toBe(true);
    c.close();
  });

  it('answers HTTP with clear statuses and never reads a body', async () => {
    const http = relay.url.replace('ws://', 'http://');
    const health = await fetch(`${http}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, protocol: 1, relayKey: Buffer.from(relay.relayKey).toString('hex'), storage: 'sqlite' });
    // A POST announcing a 4 MiB body, of which not one byte is sent: the relay answers 405 at once, without
    // waiting for (or reading) the body.
    expect(await headersOnly(http, 'POST /health HTTP/1.1', 'Content-Length: 4194304')).toMatch(/^HTTP\/1\.1 405 .*"method_not_allowed"/s);
    const missing = await fetch(`${http}/anything`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false, error: 'not_found' });
    await expect(raw('/not-the-endpoint')).rejects.toThrow(/404/);
  });

  it('keeps serving a well-behaved device after all of that', async () => {
    const c = await connectDevice(relay.url, device);
    expect((await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(16) })).serverSeq).toBe(1);
    c.close();
  });
});

/** Sends only a request line and headers, and returns everything the server answers before it closes. */
function headersOnly(httpUrl: string, requestLine: string, ...headers: string[]): Promise<string> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${requestLine}\r\nHost: ${hostname}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
      if (answer.includes('}')) socket.destroy();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${requestLine}`)));
  });
}
