import { describe, expect, it } from 'vitest';
import { applyRegexScripts, nameMacros } from '../../../shared/regex/engine.std.ts';
import { RegexScript, regexPlacement } from '../../../shared/regex/script.std.ts';
import { clearRegexCache, regexTransform } from './regex-prompt.std.ts';

const script = (over: Partial<RegexScript> & { findRegex: string }): RegexScript => RegexScript.parse({ placement: [1, 2], ...over });
const names = { char: 'Ada', user: 'Wren' };

describe('prompt-side regex scripts, remembered between prompt builds', () => {
  const scripts = [
    script({ findRegex: '/thunder/gi', replaceString: 'rain' }),
    // Only on the two newest messages (depth 0 and 1), as SillyTavern's max depth.
    script({ findRegex: '/rain/g', replaceString: '{{user}} hears rain', maxDepth: 1 }),
  ];

  it('gives what running every script gives, at every depth, built again and again as the chat grows', () => {
    clearRegexCache();
    const texts = ['Thunder rolls.', 'No thunder here, just rain.', 'Quiet.', 'THUNDER!'];
    const plain = (text: string, depth: number) =>
      applyRegexScripts(text, scripts, { placement: regexPlacement.aiOutput, mode: 'prompt', depth, macros: nameMacros(names) });
    // Three builds: the same history each time one message deeper, as when new messages arrive.
    for (let shift = 0; shift < 3; shift++) {
      const t = regexTransform(scripts, names)!;
      for (const [i, text] of texts.entries()) {
        const depth = texts.length - 1 - i + shift;
        expect(t(text, { placement: 'ai_output', depth })).toBe(plain(text, depth));
      }
    }
    // Same text, other depth: the depth-limited script still decides.
    const t = regexTransform(scripts, names)!;
    expect(t('thunder', { placement: 'ai_output', depth: 0 })).toBe('Wren hears rain');
    expect(t('thunder', { placement: 'ai_output', depth: 5 })).toBe('rain');
  });

  it('does not reuse results across other scripts or other names', () => {
    clearRegexCache();
    expect(regexTransform(scripts, names)!('rain', { placement: 'user_input', depth: 0 })).toBe('Wren hears rain');
    expect(regexTransform(scripts, { char: 'Ada', user: 'Kite' })!('rain', { placement: 'user_input', depth: 0 })).toBe('Kite hears rain');
    expect(regexTransform([script({ findRegex: '/rain/g', replaceString: 'snow' })], names)!('rain', { placement: 'user_input', depth: 0 })).toBe('snow');
  });
});
