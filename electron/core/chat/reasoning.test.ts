import { describe, expect, it } from 'vitest';
import { ThinkSplitter } from './reasoning.std.ts';

function run(chunks: string[]) {
  const s = new ThinkSplitter();
  let text = '';
  let reasoning = '';
  for (const c of [...chunks.map((c) => s.push(c)), s.end()]) {
    text += c.text;
    reasoning += c.reasoning;
  }
  return { text, reasoning };
}

describe('ThinkSplitter', () => {
  it('separates a leading think block, with tags split across every possible chunk boundary', () => {
    const whole = '\n<think>Plan: greet 你好.</think>\n\nHello there.';
    for (let i = 0; i <= whole.length; i++) {
      for (const j of [i, Math.min(whole.length, i + 3)]) {
        expect(run([whole.slice(0, i), whole.slice(i, j), whole.slice(j)])).toEqual({ text: 'Hello there.', reasoning: 'Plan: greet 你好.' });
      }
    }
    expect(run(whole.split(''))).toEqual({ text: 'Hello there.', reasoning: 'Plan: greet 你好.' });
  });

  it('leaves text without a leading think block untouched, "<" and later tags included', () => {
    expect(run(['<', 'b>bold</b> and <think>x</think>'])).toEqual({ text: '<b>bold</b> and <think>x</think>', reasoning: '' });
    expect(run(['Plain answer.'])).toEqual({ text: 'Plain answer.', reasoning: '' });
    expect(run(['<thi'])).toEqual({ text: '<thi', reasoning: '' });
  });

  it('an unclosed think block (a stopped reply) is all reasoning', () => {
    expect(run(['<think>still thinking </', 'thi'])).toEqual({ text: '', reasoning: 'still thinking </thi' });
  });
});
