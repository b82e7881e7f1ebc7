import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { openEnvelope, sealEnvelope, type EnvelopeBinding } from './envelope.node.ts';
import { randomBytes } from './sodium.node.ts';

const key = randomBytes(32);
const binding: EnvelopeBinding = { vaultId: randomBytes(16), docId: randomBytes(16), kind: 'conversation', part: 'update', seq: 7 };
const text = new TextEncoder().encode('secret message');

describe('envelopes', () => {
  it('open what they sealed, and hide the plaintext', () => {
    const env = sealEnvelope(key, text, binding);
    expect(Buffer.from(env).includes(Buffer.from('secret'))).toBe(false);
    expect(new TextDecoder().decode(openEnvelope(key, env, binding, 'r1'))).toBe('secret message');
  });

  it('pad so that short plaintexts of different lengths look alike', () => {
    expect(sealEnvelope(key, new Uint8Array(3), binding).length).toBe(sealEnvelope(key, new Uint8Array(40), binding).length);
  });

  it('pad longer plaintexts too: a thousand consecutive lengths above the minimum seal to a few dozen sizes', () => {
    const sizes = new Set<number>();
    for (let n = 65; n < 1065; n++) sizes.add(sealEnvelope(key, new Uint8Array(n), binding).length);
    expect(sizes.size).toBeLessThan(60); // PADMÉ: 8–16 sizes per doubling here; unpadded would be 1000
    // Sizes far apart stay far apart (padding costs at most ~12%), so the bucket is the only thing that leaks.
    expect(sealEnvelope(key, new Uint8Array(100_000), binding).length).toBeLessThan(112_000);
  });

  const changes: [string, Partial<EnvelopeBinding>][] = [
    ['another vault', { vaultId: randomBytes(16) }],
    ['another document', { docId: randomBytes(16) }],
    ['another kind', { kind: 'character' }],
    ['another part', { part: 'snapshot' }],
    ['another sequence number', { seq: 8 }],
  ];
  for (const [what, change] of changes) {
    it(`refuse to open when moved to ${what}`, () => {
      const env = sealEnvelope(key, text, binding);
      expect(() => openEnvelope(key, env, { ...binding, ...change }, 'r1')).toThrow(MindstageError);
    });
  }

  it('detect a flipped bit anywhere and name the record', () => {
    const env = sealEnvelope(key, text, binding);
    for (const i of [0, 1, 10, 30, env.length - 1]) {
      const bad = env.slice();
      bad[i]! ^= 1;
      try {
        openEnvelope(key, bad, binding, 'rec-42');
        expect.unreachable();
      } catch (e) {
        expect((e as MindstageError).code).toBe('integrity');
        expect((e as MindstageError).recordId).toBe('rec-42');
      }
    }
  });

  it('detect truncation', () => {
    const env = sealEnvelope(key, text, binding);
    expect(() => openEnvelope(key, env.subarray(0, env.length - 5), binding, 'r')).toThrow(/integrity/);
    expect(() => openEnvelope(key, env.subarray(0, 10), binding, 'r')).toThrow(/integrity/);
  });
});
