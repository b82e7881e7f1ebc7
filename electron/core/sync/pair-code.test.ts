import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, toHex } from '../crypto/sodium.node.ts';
import { newPairCode, openPairPayload, pairKeys, parsePairCode, PAIR_CODE_BYTES, sealPairPayload } from './pair-code.node.ts';

const secret = Uint8Array.from({ length: 16 }, (_, i) => i);
const payload = new TextEncoder().encode('vault key material');
/** The authenticated data the payload is sealed with (docs/sync-client.md, "Pairing"): what the relay also knows. */
const payloadAd = (mailbox: Uint8Array) => new Uint8Array([...new TextEncoder().encode('mindstage.pair.payload.v1\0'), ...mailbox]);

function refusal(fn: () => unknown): MindstageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MindstageError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('pairing codes', () => {
  it('the relay, which learns the mailbox id and the sealed payload, cannot open the payload with what it knows', () => {
    const { mailbox, key } = pairKeys(secret);
    expect(toHex(mailbox)).not.toBe(toHex(key));
    const sealed = sealPairPayload(secret, payload);
    expect(aeadOpen(mailbox, sealed, payloadAd(mailbox))).toBeNull();
    // The payload key is what opens it, under exactly that binding to the mailbox.
    expect(aeadOpen(key, sealed, payloadAd(mailbox))).toEqual(payload);
    expect(aeadOpen(key, sealed, payloadAd(new Uint8Array(32)))).toBeNull();
  });

  it('derives the same mailbox and key on every device and version (protocol vector)', () => {
    // Changing a label breaks pairing between versions; these bytes pin them (keyed BLAKE2b-256, key = the code).
    const { mailbox, key } = pairKeys(secret);
    expect(toHex(mailbox)).toBe('e0cc9923543ca296825dce6fc7d5b255a6a96032b76e64578174f009139c02ad');
    expect(toHex(key)).toBe('a4aa4fe14d1e1c1826efda98fd577fc1382352c512df7e25cb89e3d48798f0c0');
    expect(toHex(pairKeys(Uint8Array.from(secret, (b) => b ^ 1)).mailbox)).not.toBe(toHex(mailbox));
  });

  it('opens only with the same code and an unaltered payload', () => {
    const sealed = sealPairPayload(secret, payload);
    expect(openPairPayload(secret, sealed)).toEqual(payload);
    const other = secret.slice();
    other[15]! ^= 1;
    expect(refusal(() => openPairPayload(other, sealed))).toMatchObject({ code: 'integrity' });
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(refusal(() => openPairPayload(secret, flipped))).toMatchObject({ code: 'integrity' });
    // A fresh nonce every time: the same payload never seals to the same bytes.
    expect(toHex(sealPairPayload(secret, payload))).not.toBe(toHex(sealed));
  });

  it('a new code carries 128 random bits, grouped by four, and reads back to its secret', () => {
    const { code, secret: s } = newPairCode();
    expect(s).toHaveLength(PAIR_CODE_BYTES);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{1,4}){6}$/);
    expect(parsePairCode(code)).toEqual(s);
    expect(toHex(newPairCode().secret)).not.toBe(toHex(s));
  });

  it('reads a code as people type it: any case, spaces or no dashes, O for 0, I and L for 1', () => {
    const { code, secret: s } = newPairCode();
    expect(parsePairCode(code.toLowerCase().replace(/-/g, ' '))).toEqual(s);
    expect(parsePairCode(code.replace(/-/g, ''))).toEqual(s);
    const ambiguous = '0000-1111-0000-1111-0000-1111-00';
    const want = parsePairCode(ambiguous);
    expect(parsePairCode(ambiguous.replace(/0/g, 'O').replace(/1/g, (_, i: number) => (i % 2 ? 'I' : 'l')))).toEqual(want);
  });

  it('refuses what is not a code with a usage error that says why', () => {
    expect(refusal(() => parsePairCode('ABCD-EFGH'))).toMatchObject({ code: 'usage', message: expect.stringMatching(/wrong length/) });
    expect(refusal(() => parsePairCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23U!'))).toMatchObject({ code: 'usage', message: expect.stringMatching(/characters/) });
  });
});
