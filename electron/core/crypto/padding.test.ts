import { describe, expect, it } from 'vitest';
import { pad, padmeLength, unpad } from './padding.std.ts';

describe('PADMÉ padding', () => {
  it('never shrinks and overhead stays under 12% for large sizes', () => {
    for (const n of [100, 1_000, 4_097, 65_537, 1_000_003, 4_000_000]) {
      const p = padmeLength(n);
      expect(p).toBeGreaterThanOrEqual(n);
      expect((p - n) / n).toBeLessThan(0.12);
    }
  });

  it('maps many lengths to few padded sizes', () => {
    const sizes = new Set<number>();
    for (let n = 10_000; n < 11_000; n++) sizes.add(padmeLength(n));
    expect(sizes.size).toBeLessThan(20);
  });

  it('pads every length to its PADMÉ size, above the 64-byte minimum as below it', () => {
    for (const n of [0, 1, 62, 63, 64, 65, 100, 1_000, 4_097, 65_537]) {
      expect(pad(new Uint8Array(n)).length).toBe(Math.max(64, padmeLength(n + 1)));
    }
    const sizes = new Set<number>();
    for (let n = 64; n < 2_064; n++) sizes.add(pad(new Uint8Array(n)).length);
    expect(sizes.size).toBeLessThan(80); // 8–16 sizes per doubling at these lengths; unpadded would be 2000
  });

  it('round-trips, including data that ends in 0x80 or zeros', () => {
    for (const data of [new Uint8Array(0), new Uint8Array([0x80]), new Uint8Array([1, 0, 0]), new Uint8Array(5000).fill(7)]) {
      const padded = pad(data);
      expect(padded.length).toBeGreaterThanOrEqual(64);
      expect(Array.from(unpad(padded)!)).toEqual(Array.from(data));
    }
  });

  it('rejects malformed padding', () => {
    expect(unpad(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(unpad(new Uint8Array(8))).toBeNull();
  });
});
