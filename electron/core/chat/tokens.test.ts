import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { clearTokenCache, countTokens, estimateTokens, tokenizerFor } from './tokens.std.ts';

const prose = 'Seraphina turns, her gown shimmering in the soft light as she offers you a kind smile. "Eldoria is here, all of the woods."';

describe('choosing the tokenizer from the model name', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-mini', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini', 'o200k_base'],
    ['openai/gpt-4o', 'o200k_base'],
    ['ft:gpt-4o-mini:acme::abc123', 'o200k_base'],
    ['gpt-oss-20b', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['GPT-3.5-Turbo', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['llama3.1:8b', 'estimate'],
    ['anthropic/claude-3.5-sonnet', 'estimate'],
    ['mistral-large', 'estimate'],
    ['o1x', 'estimate'],
    ['', 'estimate'],
  ])('%s → %s', (model, name) => {
    expect(tokenizerFor(model)).toBe(name);
  });
});

describe('counting', () => {
  it('matches the real encodings token for token', () => {
    expect(countTokens(prose, 'gpt-4o')).toBe(encodeO200k(prose).length);
    expect(countTokens(prose, 'gpt-4')).toBe(encodeCl100k(prose).length);
    expect(countTokens(prose, 'gpt-4o')).not.toBe(Math.ceil(prose.length / 3.5)); // it really is the tokenizer
  });

  it('gives the same answer from the cache as from the tokenizer, and after the cache is cleared', () => {
    const long = prose.repeat(5);
    const first = countTokens(long, 'gpt-4o');
    expect(countTokens(long, 'gpt-4o')).toBe(first);
    expect(countTokens(long, 'gpt-4')).toBe(encodeCl100k(long).length); // caches are per encoding
    clearTokenCache();
    expect(countTokens(long, 'gpt-4o')).toBe(first);
    expect(countTokens(`${long}!`, 'gpt-4o')).toBe(encodeO200k(`${long}!`).length);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    const text = 'the end <|endoftext|> and <|im_start|>system';
    expect(countTokens(text, 'gpt-4o')).toBe(encodeO200k(text, { disallowedSpecial: new Set() }).length);
    expect(countTokens(text, 'gpt-4')).toBeGreaterThan(5);
  });

  it('estimates other models as ASCII/3.5 plus 1.5 per non-ASCII unit, rounded up', () => {
    expect(countTokens('', 'llama3')).toBe(0);
    expect(estimateTokens('abcdefg')).toBe(2);
    expect(estimateTokens('abcdefgh')).toBe(3);
    expect(estimateTokens('龍の森')).toBe(5);
    expect(estimateTokens('café')).toBe(Math.ceil(3 / 3.5 + 1.5));
    expect(countTokens(prose, 'claude-3-haiku')).toBe(Math.ceil(prose.length / 3.5));
  });

  it('keeps the estimate at or above the real counts for English, French, Russian, Chinese, Japanese, Korean and emoji', () => {
    const samples = [
      prose,
      "Séraphina se retourne, sa robe scintillant dans la douce lumière, et vous offre un sourire bienveillant.",
      'Серафина обернулась, её платье мерцало в мягком свете, и она подарила вам добрую улыбку.',
      '塞拉菲娜转过身来，她的长袍在柔和的光线中闪闪发光，她向你露出亲切的微笑。“埃尔多利亚就在这里，整片树林都是。”',
      '森の守護者セラフィナは、旅人を優しく迎え入れた。影の牙がやって来る前、エルドリアは平和だった。',
      '세라피나가 돌아서자 그녀의 드레스가 부드러운 빛 속에서 반짝였고, 그녀는 당신에게 친절한 미소를 지었다.',
      '😀🎉🔥💖✨🌲🐉',
    ];
    for (const text of samples) {
      expect(estimateTokens(text)).toBeGreaterThanOrEqual(encodeO200k(text).length);
      expect(estimateTokens(text)).toBeGreaterThanOrEqual(encodeCl100k(text).length);
    }
  });
});

describe('Llama 3 and Mistral tokenizers, loaded on first use', () => {
  it('name the family from the model, count with the estimate until loaded, then with the real vocabulary', async () => {
    const { loadTokenizerFor, tokenizerFamily } = await import('./tokens.std.ts');
    expect(tokenizerFamily('meta-llama/Meta-Llama-3.1-70B-Instruct')).toBe('llama3');
    expect(tokenizerFamily('llama3.2:3b')).toBe('llama3');
    expect(tokenizerFamily('llama-2-13b-chat')).toBe('estimate');
    expect(tokenizerFamily('mistral-7b-instruct-v0.2')).toBe('mistral');
    expect(tokenizerFamily('mistralai/Mixtral-8x7B-Instruct-v0.1')).toBe('mistral');
    expect(tokenizerFamily('mistral-nemo')).toBe('estimate');
    const text = 'The quick brown fox jumps over the lazy dog, again and again, until the dog finally gets up.';
    expect(tokenizerFor('llama3')).toBe('estimate');
    await loadTokenizerFor('llama3');
    await loadTokenizerFor('mistral-7b');
    expect(tokenizerFor('llama3')).toBe('llama3');
    // Llama 3's 128k vocabulary: one token per common English word and punctuation mark (18 + 3); Mistral's
    // 32k one needs at least as many.
    expect(countTokens(text, 'llama3')).toBe(21);
    expect(countTokens(text, 'mistral-7b')).toBeGreaterThanOrEqual(21);
    expect(countTokens('<|start_header_id|>user<|end_header_id|>', 'llama3')).toBe(3);
  });
});
