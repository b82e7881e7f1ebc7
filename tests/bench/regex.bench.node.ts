/**
 * Regex scripts (shared/regex) run on RE2 (re2js). The figures that decided it (docs/decisions.md):
 * - a catastrophic pattern, `(a+)+$` on 50 a's and a '!', must not block the UI or the core for 100 ms: RE2 cold
 *   (compiling included) and warm, beside the JavaScript engine on only 20 a's (it doubles with each one more);
 * - the cost on ordinary work: a real card's two scripts (lide4144, tests/fixtures/regex) on a 3 KB reply, beside
 *   the same patterns on the JavaScript engine; and prompt building for 10,000 messages with them on and off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharacterFields } from '../../shared/domain.std.ts';
import { applyRegexScripts, clearPatternCache, nameMacros, runScript } from '../../shared/regex/engine.std.ts';
import { parseRegexScripts, RegexScript, regexPlacement } from '../../shared/regex/script.std.ts';
import { buildPrompt, type PromptHistoryMessage, type PromptInput } from '../../electron/core/chat/prompt.std.ts';
import { regexTransform } from '../../electron/core/chat/regex-prompt.std.ts';
import { median, percentile, sample, type BenchRow } from './report.node.ts';

const SUITE = 'regex';
const macros = nameMacros({ char: 'Lilian', user: 'Wren' });

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const evil = RegexScript.parse({ findRegex: '/(a+)+$/', replaceString: 'X', placement: [2] });
  const text50 = 'a'.repeat(50) + '!';
  const native20 = await sample(3, () => /(a+)+$/.test('a'.repeat(20) + '!'), 1);
  // The first pattern in a process pays for re2js's own start (its code not yet compiled by V8): reported apart.
  const t0 = performance.now();
  runScript(RegexScript.parse({ findRegex: '/x/g', placement: [2] }), 'xx', macros);
  const warmUp = performance.now() - t0;
  const cold = await sample(20, () => {
    clearPatternCache();
    return runScript(evil, text50, macros);
  }, 0);
  const warm = await sample(200, () => runScript(evil, text50, macros), 5);
  rows.push({ suite: SUITE, name: 'first pattern in a process (re2js warm-up), once', value: warmUp, unit: 'ms', target: '< 100 ms', pass: warmUp < 100 });
  rows.push({ suite: SUITE, name: '(a+)+$ on 50 a + "!", RE2, compile + run, max of 20', value: Math.max(...cold), unit: 'ms', baselineName: 'JS engine on 20 a + "!"', baseline: median(native20), target: '< 100 ms', pass: Math.max(...cold) < 100 });
  rows.push({ suite: SUITE, name: '(a+)+$ on 50 a + "!", RE2, warm p99', value: percentile(warm, 99), unit: 'ms', baselineName: 'JS engine on 20 a + "!"', baseline: median(native20), target: '< 100 ms', pass: percentile(warm, 99) < 100 });

  const file = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/regex/lide4144-lilian-regex-scripts.json'), 'utf8')) as { regex_scripts: unknown[] };
  const { scripts } = parseRegexScripts(file.regex_scripts);
  const reply = `${'*她看着你。* "早上好。" '.repeat(120)}\n<UpdateVariable>\n<JSONPatch>[{"op":"replace","path":"/教堂/民声","value":16}]</JSONPatch>\n</UpdateVariable>\n<StatusPlaceHolderImpl/>`;
  const display = await sample(500, () => applyRegexScripts(reply, scripts, { placement: regexPlacement.aiOutput, mode: 'display', depth: 0, macros }), 20);
  const panel = (scripts[1]!.replaceString);
  const js = await sample(500, () => reply.replace(/<UpdateVariable>[\s\S]*?<\/UpdateVariable>/gm, '').replace(/<StatusPlaceHolderImpl\/>/g, panel), 20);
  rows.push({ suite: SUITE, name: `card scripts on a ${(reply.length / 1024).toFixed(1)} KB reply (display), p99`, value: percentile(display, 99), unit: 'ms', baselineName: 'same patterns, JS engine', baseline: percentile(js, 99) });

  const history: PromptHistoryMessage[] = Array.from({ length: 10_000 }, (_, i) =>
    i % 2 ? { role: 'character', name: 'Lilian', text: reply, authorId: 'c1' } : { role: 'user', name: 'Wren', text: '*我推开门。* "今天有什么委托？"' },
  );
  const input: PromptInput = {
    character: CharacterFields.parse({ name: 'Lilian', description: 'A nun by day, a ninja by night.' }),
    otherCharacters: [],
    userName: 'Wren',
    history,
    lorebooks: [],
    contextWindow: 128_000,
    maxTokens: 1_024,
    model: 'gpt-4o',
    mode: 'reply',
    characterId: 'c1',
  };
  const off = await sample(60, () => buildPrompt(input), 5);
  const on = await sample(60, () => buildPrompt({ ...input, transformText: regexTransform(scripts, { char: 'Char', user: 'User' })! }), 5);
  rows.push({ suite: SUITE, name: 'prompt, 10,000 messages, card scripts on, warm p99', value: percentile(on, 99), unit: 'ms', baselineName: 'scripts off', baseline: percentile(off, 99), target: '< 50 ms', pass: percentile(on, 99) < 50 });
  return rows;
}
