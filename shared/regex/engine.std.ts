/**
 * Runs regex scripts the way SillyTavern's `getRegexedString`/`runRegexScript` do (public/scripts/extensions/regex/
 * engine.js), on RE2 (re2js) instead of the JavaScript engine: card patterns are untrusted, and RE2 matches in time
 * linear in the text, so a catastrophic pattern such as `(a+)+$` cannot freeze the UI or the core (the JS engine
 * needs seconds for it on 25 characters; docs/decisions.md has the measurement). The price: look-around and
 * back-references, which RE2 lacks, make a script unrunnable — it is then skipped and the editor says why.
 *
 * One deliberate difference: SillyTavern rewrites the stored message with scripts that are neither display-only
 * nor prompt-only; here they apply to both the shown text and the prompt, and the stored text stays as written.
 */
import { RE2JS } from 're2js';
import { regexPlacement, type RegexPlacement, type RegexScript } from './script.std.ts';

/** Substitutes macros in a text ({{char}}, {{user}}, …): the caller's macro engine. */
export type Macros = (text: string) => string;

export interface RegexRun {
  placement: RegexPlacement;
  /** display: what the user sees; prompt: what the provider is sent. */
  mode: 'display' | 'prompt';
  /** Messages from the newest (0 = the last message); undefined where depth has no meaning (lore entries). */
  depth?: number;
  macros: Macros;
}

interface Compiled {
  re: RE2JS;
  global: boolean;
}

const cache = new Map<string, Compiled | string>();
const CACHE_MAX = 1000;

/**
 * `/pattern/flags` or a bare pattern, as SillyTavern's `regexFromString` reads it (a bare pattern, or one with
 * flags it does not know, is matched as written without `g`: first match only).
 */
function splitPattern(input: string): { source: string; flags: string } {
  const last = input.lastIndexOf('/');
  if (input.startsWith('/') && last > 0) {
    const flags = input.slice(last + 1);
    if (/^[a-z]*$/i.test(flags)) {
      if (flags === '' || /^(?!.*?(.).*?\1)[gmixXsuUAJ]+$/.test(flags)) return { source: input.slice(1, last), flags };
      return { source: input, flags: '' };
    }
  }
  return { source: input, flags: '' };
}

/** For benchmarks of a first run: forgets every compiled pattern. */
export function clearPatternCache(): void {
  cache.clear();
}

/** JS spellings RE2 lacks or runs slowly: "any character" classes become `(?s:.)` (100× faster in re2js). */
function toRe2(source: string): string {
  return RE2JS.translateRegExp(source).replace(/\[\\s\\S\]|\[\\S\\s\]|\[\\w\\W\]|\[\\W\\w\]|\[\\d\\D\]|\[\\D\\d\]|\[\\x00-\\x\{10FFFF\}\]/g, '(?s:.)');
}

/** The compiled pattern, or why it cannot run. Cached by pattern text. */
export function compilePattern(input: string): Compiled | string {
  const hit = cache.get(input);
  if (hit !== undefined) return hit;
  let result: Compiled | string;
  const { source, flags } = splitPattern(input);
  try {
    let f = 0;
    if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes('m')) f |= RE2JS.MULTILINE;
    if (flags.includes('s')) f |= RE2JS.DOTALL;
    result = { re: RE2JS.compile(toRe2(source), f), global: flags.includes('g') };
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : 'unknown error';
    result = /\(\?[=!]|\(\?<[=!]|\\[1-9]|invalid named capture|Perl syntax/.test(why + source)
      ? `uses look-around or back-references, which the safe regex engine does not run (${why})`
      : `is not a valid pattern (${why})`;
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(input, result);
  return result;
}

/** Characters with a meaning in a pattern, escaped when a macro's value goes into one (substituteRegex 2). */
function escapeForPattern(value: string): string {
  return value.replace(/[\n\r\t\v\f\0.^$*+?{}[\]\\/|()]/g, (s) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\f': '\\f', '\0': '\\0' })[s] ?? `\\${s}`);
}

function findPattern(script: RegexScript, macros: Macros): string {
  if (script.substituteRegex === 1) return macros(script.findRegex);
  if (script.substituteRegex === 2) return script.findRegex.replace(/\{\{[^{}]*\}\}/g, (token) => escapeForPattern(macros(token)));
  return script.findRegex;
}

/** Why a script cannot run, or null: for the editor. */
export function scriptProblem(script: RegexScript, macros: Macros = (t) => t): string | null {
  if (!script.findRegex) return 'has no pattern';
  const c = compilePattern(findPattern(script, macros));
  return typeof c === 'string' ? `The pattern ${c}.` : null;
}

/** One script on one text (SillyTavern's runRegexScript). */
export function runScript(script: RegexScript, text: string, macros: Macros): string {
  if (script.disabled || !script.findRegex || !text) return text;
  const compiled = compilePattern(findPattern(script, macros));
  if (typeof compiled === 'string') return text;
  const template = script.replaceString.replace(/\{\{match\}\}/gi, '$0');
  const trims = script.trimStrings.map(macros).filter(Boolean);
  const m = compiled.re.matcher(text);
  const groups = compiled.re.groupCount();
  let out = '';
  let last = 0;
  while (m.find()) {
    out += text.slice(last, m.start());
    const filled = template.replace(/\$(\d+)/g, (_, num: string) => {
      const n = Number(num);
      const g = n <= groups ? m.group(n) : null;
      if (!g) return '';
      return trims.reduce((s, t) => s.replaceAll(t, ''), g);
    });
    out += macros(filled);
    last = m.end();
    if (!compiled.global) break;
  }
  return out + text.slice(last);
}

/** Whether a script takes part in this run (SillyTavern's getRegexedString conditions). */
export function scriptApplies(script: RegexScript, run: Omit<RegexRun, 'macros'>): boolean {
  if (script.disabled || !script.placement.includes(run.placement)) return false;
  const neither = !script.markdownOnly && !script.promptOnly;
  if (run.mode === 'display' ? !(script.markdownOnly || neither) : !(script.promptOnly || neither)) return false;
  if (run.depth !== undefined) {
    if (script.minDepth !== null && script.minDepth >= -1 && run.depth < script.minDepth) return false;
    if (script.maxDepth !== null && script.maxDepth >= 0 && run.depth > script.maxDepth) return false;
  }
  return true;
}

/** Every applicable script in order, each on the previous one's output. */
export function applyRegexScripts(text: string, scripts: readonly RegexScript[], run: RegexRun): string {
  let out = text;
  for (const s of scripts) if (scriptApplies(s, run)) out = runScript(s, out, run.macros);
  return out;
}

/** {{char}} and {{user}} only: for callers without the full macro engine at hand. */
export function nameMacros(names: { char: string; user: string }): Macros {
  return (text) => text.replace(/\{\{(char|user)\}\}/gi, (_, k: string) => (k.toLowerCase() === 'char' ? names.char : names.user));
}

/**
 * A conversation's messages as displayed (display-side scripts, depth from the newest), for views outside the
 * renderer such as `mindstage conversation show`. `charName` names a message's author for {{char}}.
 */
export function displayedTexts(
  messages: ReadonlyArray<{ role: string; authorId?: string | undefined; text: string }>,
  scripts: readonly RegexScript[],
  names: { user: string; charName(authorId: string | undefined): string },
): string[] {
  return messages.map((m, i) =>
    scripts.length === 0
      ? m.text
      : applyRegexScripts(m.text, scripts, {
          placement: m.role === 'user' ? regexPlacement.userInput : regexPlacement.aiOutput,
          mode: 'display',
          depth: messages.length - 1 - i,
          macros: nameMacros({ char: m.role === 'character' ? names.charName(m.authorId) : '', user: names.user }),
        }),
  );
}
