/** The pure protocol code: frame codec, message validation and the signed statements. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameError } from '../../shared/sync/frame.std.ts';
import { decodeClientMessage, decodeRelayMessage, encodeMessage, type ClientMessage } from '../../shared/sync/messages.std.ts';
import {
  authStatement,
  enrollStatement,
  itemStatement,
  receiptStatement,
  relayAuthority,
  deviceListStatement,
  wipeStatement,
} from '../../shared/sync/signing.std.ts';
import { newKeys, randomId, verify } from '../support/relay-client.node.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('frames', () => {
  it('round-trip nested values with byte strings as raw blobs (Buffers too)', () => {
    const msg = { t: 'x', a: [new Uint8Array([1, 2]), { b: Buffer.from([3]) }], c: 'text', d: null, e: 1.5 };
    const frame = encodeFrame(msg);
    // The bytes travel raw, after the header, not as JSON numbers or base64.
    expect(Buffer.from(frame).subarray(-3)).toEqual(Buffer.from([1, 2, 3]));
    const back = decodeFrame(frame) as typeof msg;
    expect(hex(back.a[0] as Uint8Array)).toBe('0102');
    expect(hex((back.a[1] as { b: Uint8Array }).b)).toBe('03');
    expect(back.c).toBe('text');
    expect(back.d).toBeNull();
  });

  it('round-trip any JSON value with any blobs (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 5 }), (json, blobs) => {
        // Reserved keys are refused by design (tested below): $b/$blobs, and __proto__, which fast-check's JSON
        // values include now and then.
        fc.pre(!JSON.stringify(json).includes('"$b') && !JSON.stringify(json).includes('"__proto__"'));
        const msg = { json, blobs };
        const back = decodeFrame(encodeFrame(msg)) as { json: unknown; blobs: Uint8Array[] };
        expect(JSON.stringify(back.json)).toBe(JSON.stringify(json));
        expect(back.blobs.map(hex)).toEqual(blobs.map(hex));
      }),
      { numRuns: 300 },
    );
  });

  it('never throw anything but FrameError on arbitrary bytes, and decoders never throw at all (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeFrame(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
        }
        expect(decodeClientMessage(bytes).ok).toBe(false);
        decodeRelayMessage(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('refuse frames and headers over the limits as too_large', () => {
    const big = encodeFrame({ t: 'x', b: new Uint8Array(1000) });
    expect(() => decodeFrame(big, { maxFrameBytes: 500, maxHeaderBytes: 100, maxBlobs: 10 })).toThrow(/exceeds the limit/);
    const longHeader = encodeFrame({ t: 'x'.repeat(200) });
    try {
      decodeFrame(longHeader, { maxFrameBytes: 5000, maxHeaderBytes: 100, maxBlobs: 10 });
      expect.unreachable();
    } catch (e) {
      expect((e as FrameError).reason).toBe('too_large');
    }
  });

  it('refuse a blob that nothing refers to, and a reference used twice', () => {
    const frame = (header: string, blobs: number[]) => {
      const h = Buffer.from(header);
      const p = Buffer.alloc(5);
      p[0] = 1;
      p.writeUInt32BE(h.length, 1);
      return new Uint8Array(Buffer.concat([p, h, Buffer.alloc(blobs.reduce((a, b) => a + b, 0))]));
    };
    expect(() => decodeFrame(frame('{"a":1,"$blobs":[2]}', [2]))).toThrow(/nothing refers/);
    expect(() => decodeFrame(frame('{"a":{"$b":0},"b":{"$b":0},"$blobs":[2]}', [2]))).toThrow(/invalid blob reference/);
  });
});

describe('messages', () => {
  it('round-trip every client message through the codec', () => {
    const msgs: ClientMessage[] = [
      { t: 'hello', id: 1, protocol: 1, accountId: randomId(), deviceId: randomId() },
      { t: 'snapshot', id: 2, docId: randomId(), deviceId: randomId(), deviceSeq: 9, body: new Uint8Array(5), covers: [{ deviceId: randomId(), from: 1, to: 8 }], sig: new Uint8Array(64) },
      { t: 'wipe', id: 3, marker: { accountId: randomId(), issuedAt: 5, authority: 'relay.example:8787', signer: randomId(), sig: new Uint8Array(64) } },
      { t: 'setDevices', id: 5, list: { accountId: randomId(), version: 2, prev: new Uint8Array(64), devices: [randomId(), randomId()], recovery: null, issuedAt: 3, signer: randomId(), sig: new Uint8Array(64) } },
      { t: 'pull', id: 4, after: 0 },
    ];
    for (const m of msgs) {
      const d = decodeClientMessage(encodeMessage(m));
      expect(d.ok).toBe(true);
      if (d.ok) expect(encodeMessage(d.message)).toEqual(encodeMessage(m));
    }
  });

  it('refuse cover ranges that run backwards and an empty cover list', () => {
    const base = { t: 'snapshot', id: 2, docId: randomId(), deviceId: randomId(), deviceSeq: 9, body: new Uint8Array(5), sig: new Uint8Array(64) };
    expect(decodeClientMessage(encodeFrame({ ...base, covers: [{ deviceId: randomId(), from: 5, to: 4 }] }))).toMatchObject({ ok: false, code: 'bad_frame', id: 2 });
    expect(decodeClientMessage(encodeFrame({ ...base, covers: [] }))).toMatchObject({ ok: false, id: 2 });
  });
});

describe('signed statements', () => {
  const accountId = randomId();
  const deviceId = randomId();
  const docId = randomId();
  const body = new Uint8Array([1, 2, 3]);

  it('differ for every purpose and every field, so no signature can be reused for something else', () => {
    const all = [
      authStatement({ nonce: docId, accountId, deviceId, authority: 'a:1' }),
      authStatement({ nonce: docId, accountId, deviceId, authority: 'a:2' }),
      enrollStatement({ accountId, deviceId, enrolledAt: 1 }),
      wipeStatement({ accountId, issuedAt: 1, authority: 'a:1', signer: deviceId }),
      wipeStatement({ accountId, issuedAt: 1, authority: 'a:1', signer: docId }),
      deviceListStatement({ accountId, version: 1, prev: new Uint8Array(64), devices: [deviceId], recovery: null, issuedAt: 1, signer: accountId }),
      deviceListStatement({ accountId, version: 2, prev: new Uint8Array(64), devices: [deviceId], recovery: null, issuedAt: 1, signer: accountId }),
      deviceListStatement({ accountId, version: 1, prev: new Uint8Array(64), devices: [deviceId], recovery: docId, issuedAt: 1, signer: accountId }),
      deviceListStatement({ accountId, version: 1, prev: new Uint8Array(64), devices: [deviceId, docId], recovery: null, issuedAt: 1, signer: accountId }),
      itemStatement({ kind: 'update', accountId, docId, deviceId, deviceSeq: 1, body }),
      itemStatement({ kind: 'snapshot', accountId, docId, deviceId, deviceSeq: 1, body, covers: [{ deviceId, from: 1, to: 1 }] }),
      itemStatement({ kind: 'snapshot', accountId, docId, deviceId, deviceSeq: 1, body, covers: [{ deviceId, from: 1, to: 2 }] }),
      itemStatement({ kind: 'tombstone', accountId, docId, deviceId, deviceSeq: 1 }),
      itemStatement({ kind: 'update', accountId, docId: randomId(), deviceId, deviceSeq: 1, body }),
      itemStatement({ kind: 'update', accountId: randomId(), docId, deviceId, deviceSeq: 1, body }),
      itemStatement({ kind: 'update', accountId, docId, deviceId, deviceSeq: 2, body }),
      itemStatement({ kind: 'update', accountId, docId, deviceId, deviceSeq: 1, body: new Uint8Array([1, 2, 4]) }),
      receiptStatement({ accountId, wipedAt: 1, counts: { updates: 1, snapshots: 0, tombstones: 0, devices: 1, pairings: 0, bytes: 3 }, markerSig: new Uint8Array(64), relayKey: deviceId }),
    ].map(hex);
    expect(new Set(all).size).toBe(all.length);
  });

  it('length-prefix fields so that shifting bytes between them changes the statement', () => {
    const a = authStatement({ nonce: docId, accountId, deviceId, authority: 'ab' });
    const b = authStatement({ nonce: docId, accountId, deviceId, authority: 'a' });
    expect(hex(a)).not.toBe(hex(b));
  });

  it('verify with the signer key only', () => {
    const k = newKeys();
    const st = itemStatement({ kind: 'update', accountId, docId, deviceId: k.publicKey, deviceSeq: 1, body });
    const sig = k.sign(st) as Uint8Array;
    expect(verify(sig, st, k.publicKey)).toBe(true);
    expect(verify(sig, st, newKeys().publicKey)).toBe(false);
    expect(verify(sig, itemStatement({ kind: 'tombstone', accountId, docId, deviceId: k.publicKey, deviceSeq: 1 }), k.publicKey)).toBe(false);
  });

  it('name the relay by host and port, lowercased', () => {
    expect(relayAuthority('wss://Relay.Example.com/v1')).toBe('relay.example.com');
    expect(relayAuthority('ws://127.0.0.1:8787')).toBe('127.0.0.1:8787');
  });
});

describe('reserved keys', () => {
  it('cannot be smuggled into a frame by the encoder', () => {
    expect(() => encodeFrame({ a: { $b: 0 } })).toThrow(/reserved/);
    expect(() => encodeFrame({ $blobs: [] })).toThrow(/reserved/);
  });

  it('__proto__ in a header is refused on decoding (an own key, as JSON.parse makes it)', () => {
    const frame = encodeFrame({ a: JSON.parse('{"__proto__":{"polluted":true}}') as unknown });
    expect(() => decodeFrame(frame)).toThrow(/reserved key/);
  });
});
