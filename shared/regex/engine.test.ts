import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRegexScripts, displayedTexts, nameMacros, runScript, scriptApplies, scriptProblem } from './engine.std.ts';
import { parseRegexScripts, RegexScript, regexPlacement } from './script.std.ts';

const macros = nameMacros({ char: 'Ada.Q', user: 'Wren' });
const script = (over: Partial<RegexScript> & { findRegex: string }): RegexScript => RegexScript.parse({ placement: [2], ...over });

describe('regex scripts, as SillyTavern runs them', () => {
  it('reads /pattern/flags: g replaces every match, a bare pattern only the first, i ignores case', () => {
    expect(runScript(script({ findRegex: '/cat/g', replaceString: 'dog' }), 'cat cat Cat', macros)).toBe('dog dog Cat');
    expect(runScript(script({ findRegex: 'cat', replaceString: 'dog' }), 'cat cat', macros)).toBe('dog cat');
    expect(runScript(script({ findRegex: '/cat/gi', replaceString: 'dog' }), 'cat Cat', macros)).toBe('dog dog');
    expect(runScript(script({ findRegex: '/^x/gm', replaceString: '-' }), 'x\nx', macros)).toBe('-\n-');
    expect(runScript(script({ findRegex: '/a.b/gs', replaceString: '+' }), 'a\nb', macros)).toBe('+');
  });

  it('fills {{match}} and $n, removes trim strings from groups, then substitutes macros', () => {
    const s = script({ findRegex: '/<(\\w+)>/g', replaceString: '[{{match}}|$1|$2|{{char}} to {{user}}]', trimStrings: ['o'] });
    // {{match}} is $0, so trim strings apply to it too (as in SillyTavern).
    expect(runScript(s, 'say <hello>', macros)).toBe('say [<hell>|hell||Ada.Q to Wren]');
    expect(runScript(script({ findRegex: '/世(界)/g', replaceString: '$1' }), '😀你好世界', macros)).toBe('😀你好界');
  });

  it('substitutes macros into the pattern raw (1) or escaped (2)', () => {
    expect(runScript(script({ findRegex: '/{{char}}/g', substituteRegex: 1, replaceString: 'X' }), 'AdaxQ Ada.Q', macros)).toBe('X X');
    expect(runScript(script({ findRegex: '/{{char}}/g', substituteRegex: 2, replaceString: 'X' }), 'AdaxQ Ada.Q', macros)).toBe('AdaxQ X');
    expect(runScript(script({ findRegex: '/{{char}}/g', substituteRegex: 0, replaceString: 'X' }), 'Ada.Q', macros)).toBe('Ada.Q');
  });

  it('chooses scripts by placement, display/prompt and depth', () => {
    const both = script({ findRegex: 'a' });
    const display = script({ findRegex: 'a', markdownOnly: true });
    const prompt = script({ findRegex: 'a', promptOnly: true });
    const run = (mode: 'display' | 'prompt', depth?: number, placement: 1 | 2 | 5 = regexPlacement.aiOutput) => ({ mode, depth, placement });
    expect([both, display, prompt].map((s) => scriptApplies(s, run('display')))).toEqual([true, true, false]);
    expect([both, display, prompt].map((s) => scriptApplies(s, run('prompt')))).toEqual([true, false, true]);
    expect(scriptApplies(both, run('display', 0, regexPlacement.userInput))).toBe(false);
    expect(scriptApplies(script({ findRegex: 'a', disabled: true }), run('display'))).toBe(false);
    const deep = script({ findRegex: 'a', minDepth: 2, maxDepth: 4 });
    expect([0, 1, 2, 4, 5].map((d) => scriptApplies(deep, run('prompt', d)))).toEqual([false, false, true, true, false]);
    expect(scriptApplies(deep, run('prompt', undefined, regexPlacement.aiOutput))).toBe(true);
    expect(scriptApplies(script({ findRegex: 'a', minDepth: -1, maxDepth: null }), run('prompt', 0))).toBe(true);
  });

  it('runs a catastrophic pattern in linear time: (a+)+$ on 50 a’s and a ! finds nothing and returns', () => {
    const evil = script({ findRegex: '/(a+)+$/', replaceString: 'X' });
    const text = 'a'.repeat(50) + '!';
    expect(runScript(evil, text, macros)).toBe(text);
    expect(runScript(evil, 'a'.repeat(50), macros)).toBe('X');
  });

  it('skips patterns RE2 cannot run and says why; bad patterns change nothing', () => {
    expect(scriptProblem(script({ findRegex: '/a(?=b)/' }))).toMatch(/look-around or back-references/);
    expect(scriptProblem(script({ findRegex: '/(a)\\1/' }))).toMatch(/look-around or back-references/);
    expect(scriptProblem(script({ findRegex: '/(unclosed/' }))).toMatch(/not a valid pattern/);
    expect(scriptProblem(script({ findRegex: '/[^]*?x/g' }))).toBeNull();
    expect(runScript(script({ findRegex: '/a(?=b)/g', replaceString: 'X' }), 'ab', macros)).toBe('ab');
  });

  it('reads SillyTavern files leniently and refuses what is not a script', () => {
    const { scripts, rejected } = parseRegexScripts([{ findRegex: '/x/', substituteRegex: true, minDepth: '' }, { scriptName: 'no pattern' }, 'junk']);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatchObject({ substituteRegex: 1, minDepth: null, placement: [], trimStrings: [], runOnEdit: true });
    expect(rejected).toBe(2);
  });
});

describe('a real card’s regex scripts (lide4144 “修女与女忍的双面日常”)', () => {
  const file = JSON.parse(readFileSync(join(import.meta.dirname, '../../tests/fixtures/regex/lide4144-lilian-regex-scripts.json'), 'utf8')) as { regex_scripts: unknown[] };
  const { scripts, rejected } = parseRegexScripts(file.regex_scripts);
  const reply = '*钟声响起。*\n\n<UpdateVariable>\n<analysis>民声+1</analysis>\n<JSONPatch>[]</JSONPatch>\n</UpdateVariable>\n<StatusPlaceHolderImpl/>';

  it('reads both scripts and can run them', () => {
    expect(rejected).toBe(0);
    expect(scripts.map((s) => s.scriptName)).toEqual(['MVU·去除变量更新', '状态栏渲染']);
    expect(scripts.map((s) => scriptProblem(s))).toEqual([null, null]);
  });

  it('display: the variable block is hidden and the placeholder becomes the status panel', () => {
    const shown = applyRegexScripts(reply, scripts, { placement: regexPlacement.aiOutput, mode: 'display', depth: 0, macros });
    expect(shown).not.toContain('UpdateVariable');
    expect(shown).not.toContain('<StatusPlaceHolderImpl/>');
    expect(shown).toContain('```html\n<!doctype html>');
    expect(shown.startsWith('*钟声响起。*\n\n\n```html')).toBe(true);
  });

  it('prompt: the variable block is removed, the placeholder stays (the panel is display-only)', () => {
    const sent = applyRegexScripts(reply, scripts, { placement: regexPlacement.aiOutput, mode: 'prompt', depth: 3, macros });
    expect(sent).toBe('*钟声响起。*\n\n\n<StatusPlaceHolderImpl/>');
  });

  it('user input is left alone (both scripts are AI output only)', () => {
    const typed = 'I write <StatusPlaceHolderImpl/> and <UpdateVariable>x</UpdateVariable>';
    for (const mode of ['display', 'prompt'] as const) expect(applyRegexScripts(typed, scripts, { placement: regexPlacement.userInput, mode, depth: 0, macros })).toBe(typed);
  });
});

describe('a conversation as displayed (conversation show)', () => {
  it('applies display scripts by role and depth, with the author for {{char}}', () => {
    const scripts = [
      RegexScript.parse({ findRegex: '/SECRET/g', replaceString: '***', placement: [2], markdownOnly: true }),
      RegexScript.parse({ findRegex: '/hi/g', replaceString: 'hello {{user}}, from {{char}}', placement: [2], markdownOnly: true, maxDepth: 0 }),
      RegexScript.parse({ findRegex: '/SECRET/g', replaceString: 'sent', placement: [2], promptOnly: true }),
    ];
    const texts = displayedTexts(
      [
        { role: 'user', text: 'SECRET hi' },
        { role: 'character', authorId: 'a', text: 'SECRET hi' },
        { role: 'character', authorId: 'b', text: 'hi' },
      ],
      scripts,
      { user: 'Wren', charName: (id) => (id === 'b' ? 'Bram' : 'Ada') },
    );
    expect(texts).toEqual(['SECRET hi', '*** hi', 'hello Wren, from Bram']);
  });
});
