import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.node.ts';

describe('backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const o = { baseMs: 100, maxMs: 5_000 };
    expect(backoffDelay(0, o, () => 0.999)).toBe(99);
    expect(backoffDelay(3, o, () => 0.999)).toBe(799);
    expect(backoffDelay(20, o, () => 0.999)).toBe(4_995);
    expect(backoffDelay(1_000, o, () => 0.5)).toBe(2_500);
    // The floor keeps a tight loop from hammering a relay that is down.
    expect(backoffDelay(5, o, () => 0)).toBe(50);
    const samples = Array.from({ length: 200 }, () => backoffDelay(4, o));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...samples)).toBeLessThan(1_600);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });
});
