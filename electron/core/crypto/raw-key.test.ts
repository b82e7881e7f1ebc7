import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { rawKeyCall } from './raw-key.std.ts';

const limit = Error.stackTraceLimit;
afterEach(() => {
  Error.stackTraceLimit = limit;
});

describe('rawKeyCall', () => {
  it('runs the call without stack traces and gives back its value', () => {
    const stack = rawKeyCall(() => new Error('inside').stack);
    expect(stack?.split('\n')).toEqual(['Error: inside']);
    const key = new Uint8Array(32).fill(7);
    expect(rawKeyCall(() => createHmac('sha256', key)).update('x').digest('hex')).toBe(createHmac('sha256', key).update('x').digest('hex'));
  });

  it('puts the limit back afterwards, also when the call throws', () => {
    Error.stackTraceLimit = 17;
    rawKeyCall(() => 1);
    expect(Error.stackTraceLimit).toBe(17);
    expect(() =>
      rawKeyCall(() => {
        throw new RangeError('bad key length');
      }),
    ).toThrow(RangeError);
    expect(Error.stackTraceLimit).toBe(17);
    expect(new Error('outside').stack!.split('\n').length).toBeGreaterThan(1);
  });
});
