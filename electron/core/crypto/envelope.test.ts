import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { associatedData, openEnvelope, sealEnvelope, type EnvelopeBinding } from './envelope.node.ts';
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

  it('bind exactly what docs/storage.md lists, in that layout (vault files written before must keep opening)', () => {
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(7n);
    const expected = Buffer.concat([Buffer.from('mindstage.store.v1\0'), binding.vaultId, binding.docId, Buffer.from([4, 2]), seq]);
    expect(Buffer.from(associatedData(binding)).toString('hex')).toBe(expected.toString('hex'));
  });

  it('refuse an unknown version, or nothing at all, naming the record', () => {
    const env = sealEnvelope(key, text, binding);
    for (const bad of [Uint8Array.of(3, ...env.subarray(1)), Uint8Array.of(2, 0, 0), new Uint8Array(0)]) {
      expect(() => openEnvelope(key, bad, binding, 'rec-7')).toThrow(expect.objectContaining({ code: 'integrity', recordId: 'rec-7', message: expect.stringMatching(/unknown envelope version/) }));
    }
  });

  it('carry the vault-key generation that sealed them, and open only under that generation', () => {
    const gens = new Map([[0, randomBytes(32)], [1, randomBytes(32)], [2, randomBytes(32)]]);
    const at = (generation: number) => ({ generation, key: (g: number) => { const k = gens.get(g); if (!k) throw new Error('no such generation'); return k; } });
    const old = sealEnvelope(at(0), text, binding);
    const env = sealEnvelope(at(2), text, binding);
    expect(old[0]).toBe(1);
    expect([...env.subarray(0, 5)]).toEqual([2, 0, 0, 0, 2]);
    // After a later rotation both still open, each under its own generation's key.
    expect(new TextDecoder().decode(openEnvelope(at(3), env, binding, 'r'))).toBe(new TextDecoder().decode(text));
    expect(new TextDecoder().decode(openEnvelope(at(3), old, binding, 'r'))).toBe(new TextDecoder().decode(text));
    // Relabelled to another generation it fails; a generation the vault does not hold is named.
    const relabelled = env.slice();
    relabelled[4] = 1;
    expect(() => openEnvelope(at(3), relabelled, binding, 'r')).toThrow(/integrity check/);
    relabelled[4] = 9;
    const refused = (message: RegExp) => expect.objectContaining({ code: 'integrity', recordId: 'r', message: expect.stringMatching(message) });
    expect(() => openEnvelope(at(3), relabelled, binding, 'r')).toThrow(refused(/does not hold \(generation 9\)/));
    // A plain key (no generations) refuses a generation envelope rather than guessing.
    expect(() => openEnvelope(gens.get(2)!, env, binding, 'r')).toThrow(refused(/unexpected key generation/));
  });

  it('call a known version cut short damaged, not of an unknown version', () => {
    const env = sealEnvelope(key, text, binding);
    // Version 1 has no generation field, so its first bytes alone are a truncated ciphertext.
    for (const n of [1, 2, 4]) {
      expect(() => openEnvelope(key, env.subarray(0, n), binding, 'r')).toThrow(expect.objectContaining({ code: 'integrity', message: expect.stringMatching(/failed its integrity check/) }));
    }
    // Version 2 with its whole generation field and no ciphertext.
    expect(() => openEnvelope(key, Uint8Array.of(2, 0, 0, 0, 0), binding, 'r')).toThrow(expect.objectContaining({ code: 'integrity', message: expect.stringMatching(/failed its integrity check/) }));
  });

  it('detect truncation', () => {
    const env = sealEnvelope(key, text, binding);
    expect(() => openEnvelope(key, env.subarray(0, env.length - 5), binding, 'r')).toThrow(/integrity/);
    expect(() => openEnvelope(key, env.subarray(0, 10), binding, 'r')).toThrow(/integrity/);
  });
});
