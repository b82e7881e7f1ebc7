/**
 * Issue 3 performance: building the prompt for a 10,000-message conversation with a 200-entry lorebook, for
 * gpt-4o (real o200k_base tokenizer) at 128k and 8k context windows and for a model counted by the estimate,
 * beside the plain concatenation of the same text (every card field, lore entry and message joined).
 *
 * "warm" rebuilds the prompt of the same conversation, as every reply after the first does (token counts
 * cached); "cold" clears the token and regex caches and uses a fresh lorebook object each time (first reply after unlock).
 */
import { Lorebook, CharacterFields } from '../../shared/domain.std.ts';
import { buildPrompt, clearTokenCache, type PromptHistoryMessage, type PromptInput } from '../../electron/core/chat/prompt.std.ts';
import { median, percentile, sample, type BenchRow } from './report.node.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearRegexCache, regexTransform } from '../../electron/core/chat/regex-prompt.std.ts';
import { parseRegexScripts, RegexScript } from '../../shared/regex/script.std.ts';

const SUITE = 'prompt';
const TARGET_MS = 50;

const words = (
  'the a and of to in she he it her his you was that with as for on at by from into over under through before after ' +
  'lantern storm harbor lighthouse kraken sea wave rock cliff rope sail ship boat oar tide wind rain thunder night ' +
  'morning fire ember ash smoke candle glass door stair window cloak hood boots sword dagger shield map letter key ' +
  'whispered said asked laughed smiled frowned turned walked ran climbed looked watched listened waited held pulled ' +
  'quietly softly slowly suddenly carefully gently finally nearly almost still never always again perhaps truly ' +
  'old cold warm bright dark broken hidden ancient quiet restless gentle strange familiar heavy narrow distant'
).split(' ');
const names = ['Mira', 'Bram', 'Oswin', 'Talia', 'Corvin', 'Elsbeth', 'Rook', 'Hale'];

/** Deterministic pseudo-random numbers, so every run builds the same conversation. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Roleplay-style prose: sentences, *actions*, "speech", names; lengths from ~40 to ~950 characters (mean ~380,
 * about the ~370 of DESIGN.md §3 and the storage bench). */
function prose(r: () => number, chars: number): string {
  let s = '';
  while (s.length < chars) {
    const n = 5 + Math.floor(r() * 12);
    const sentence: string[] = [];
    for (let i = 0; i < n; i++) sentence.push(r() < 0.06 ? names[Math.floor(r() * names.length)]! : words[Math.floor(r() * words.length)]!);
    let text = sentence.join(' ');
    text = text[0]!.toUpperCase() + text.slice(1);
    const kind = r();
    s += kind < 0.3 ? `*${text}.* ` : kind < 0.6 ? `"${text}?" ` : `${text}. `;
  }
  return s.trimEnd();
}

export function conversation(n: number): PromptHistoryMessage[] {
  const r = rng(42);
  const out: PromptHistoryMessage[] = [];
  for (let i = 0; i < n; i++) {
    const length = Math.round(40 + (r() ** 2) * 850 + r() * 60);
    out.push(i % 2 ? { role: 'character', name: 'Mira', text: prose(r, length), authorId: 'c1' } : { role: 'user', name: 'Alex', text: prose(r, length) });
  }
  // Recent messages mention a few lore keys, as a real chat would.
  out[n - 1]!.text += ' "Did you see the kraken near the old harbor?"';
  out[n - 2]!.text += ' *She points at Saltmere beyond the cliffs.*';
  return out;
}

/**
 * A World Info book using every feature (issue 11): all seven positions (at depth with roles), inclusion groups with
 * weights, probability, sticky / cooldown / delay, recursion flags, whole-word and case-sensitive keys.
 */
export function worldBook(seed: number, entries: number): Lorebook {
  const r = rng(seed);
  return Lorebook.parse({
    name: `World ${seed}`,
    scan_depth: 4,
    recursive_scanning: seed % 2 === 0,
    entries: Array.from({ length: entries }, (_, i) => ({
      id: i,
      keys: [`place${seed}x${i}`, ...(i % 40 === 3 ? ['kraken'] : []), ...(i % 50 === 7 ? ['harbor'] : []), ...(i % 60 === 11 ? ['Saltmere'] : [])],
      secondary_keys: i % 4 === 0 ? [`detail${i}`, 'storm'] : [],
      selective: i % 4 === 0,
      constant: i < 2,
      insertion_order: Math.floor(r() * 200),
      name: `W${seed} ${i}`,
      content: prose(r, 200 + Math.floor(r() * 400)),
      extensions: {
        position: i % 7,
        depth: i % 6,
        role: i % 3,
        selectiveLogic: i % 4,
        probability: i % 5 === 0 ? 50 : 100,
        useProbability: true,
        group: i % 9 === 0 ? `g${i % 3}` : '',
        group_weight: 50 + (i % 4) * 25,
        sticky: i % 11 === 0 ? 3 : 0,
        cooldown: i % 13 === 0 ? 2 : 0,
        delay: i % 17 === 0 ? 5 : 0,
        match_whole_words: i % 2 === 0,
        case_sensitive: i % 10 === 0,
        exclude_recursion: i % 8 === 0,
        prevent_recursion: i % 12 === 0,
        delay_until_recursion: i % 30 === 0,
        ...(i % 14 === 5 ? { character_filter: { isExclude: i % 28 === 5, names: ['Mira', 'Bram'], tags: i % 3 ? ['sea'] : [] } } : {}),
      },
    })),
  });
}

function lorebook(entries: number): Lorebook {
  const r = rng(7);
  return Lorebook.parse({
    name: 'Coast',
    scan_depth: 4,
    token_budget: 2_048,
    entries: Array.from({ length: entries }, (_, i) => ({
      keys: [`place${i}`, `person${i}`, ...(i === 3 ? ['kraken'] : []), ...(i === 17 ? ['harbor'] : []), ...(i === 42 ? ['saltmere'] : [])],
      secondary_keys: i % 5 === 0 ? [`detail${i}`, 'storm'] : [],
      selective: i % 5 === 0,
      use_regex: i % 20 === 1,
      ...(i % 20 === 1 ? { keys: [`/\\bplace${i}s?\\b/`, `hero(ine)?${i}`] } : {}),
      constant: i < 3,
      insertion_order: Math.floor(r() * 200),
      name: `Entry ${i}`,
      content: prose(r, 300 + Math.floor(r() * 500)),
      position: i % 3 ? 'before_char' : 'after_char',
    })),
  });
}

export const character = CharacterFields.parse({
  name: 'Mira',
  description: prose(rng(1), 2_500),
  personality: 'curious, kind, stubborn',
  scenario: prose(rng(2), 400),
  mes_example: `<START>\n{{user}}: ${prose(rng(3), 200)}\n{{char}}: ${prose(rng(4), 500)}\n<START>\n{{user}}: ${prose(rng(5), 150)}\n{{char}}: ${prose(rng(6), 400)}`,
  system_prompt: '{{original}} Stay in character as {{char}}.',
  post_history_instructions: 'Reply as {{char}} only, in two or three paragraphs.',
});

/** What the builder is measured against: the same text, every field, entry and message, joined once. */
function concatenation(input: PromptInput): string {
  const c = input.character;
  const parts = [c.system_prompt, c.description, c.personality, c.scenario, input.persona?.description ?? '', c.mes_example, c.post_history_instructions];
  for (const b of input.lorebooks) for (const e of ('book' in b ? (b.book as Lorebook) : b).entries) parts.push(e.content);
  for (const m of input.history) parts.push(m.text);
  return parts.join('\n');
}

/**
 * Regex scripts as a role-player has them: a real card's two (lide4144: one on the prompt and the display, one
 * display-only) and global ones on user input, AI output (one limited by depth) and World Info, plus another
 * display-only one. Display-only scripts are skipped by the prompt, as in the app.
 */
function benchScripts(): RegexScript[] {
  const file = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/regex/lide4144-lilian-regex-scripts.json'), 'utf8')) as { regex_scripts: unknown[] };
  const own = [
    { scriptName: 'no OOC', findRegex: '/\\(OOC:[^)]*\\)/g', replaceString: '', placement: [1], promptOnly: true },
    { scriptName: 'actions as brackets', findRegex: '/\\*([^*]+)\\*/g', replaceString: '[$1]', placement: [2], promptOnly: true, minDepth: 2, maxDepth: 60 },
    // Case-insensitive over the whole history: the costliest kind for RE2 (no literal prefilter with `i`).
    { scriptName: 'thunder', findRegex: '/thunder/gi', replaceString: 'THUNDER', placement: [1, 2], promptOnly: true },
    { scriptName: 'bay', findRegex: '/Saltmere/g', replaceString: 'Saltmere Bay', placement: [5] },
    { scriptName: 'octopus', findRegex: '/kraken/gi', replaceString: '🐙', placement: [2], markdownOnly: true },
  ];
  return [...parseRegexScripts(file.regex_scripts).scripts, ...own.map((x) => RegexScript.parse(x))];
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const history = conversation(10_000);
  const book = lorebook(200);
  const base: PromptInput = {
    character,
    otherCharacters: [],
    persona: { name: 'Alex', description: '{{user}} is a sailor who came ashore in the storm.' },
    userName: 'Alex',
    history,
    lorebooks: [book],
    contextWindow: 128_000,
    maxTokens: 1_024,
    model: 'gpt-4o',
    mode: 'reply',
  };
  const chars = history.reduce((n, m) => n + m.text.length, 0);
  process.stderr.write(`  10,000 messages, ${(chars / 1e6).toFixed(2)} MB of text, mean ${Math.round(chars / 10_000)} characters\n`);

  const baseline = await sample(200, () => concatenation(base).length, 5);
  /** CPU time per call, averaged: what other processes on a loaded machine cannot add to (wall-clock p99 they can). */
  const cpuPerCall = (f: () => unknown, n = 50): number => {
    for (let k = 0; k < 3; k++) f();
    const c0 = process.cpuUsage();
    for (let k = 0; k < n; k++) f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / n;
  };
  const baselineCpu = cpuPerCall(() => concatenation(base).length);
  const cases: Array<{ label: string; input: PromptInput }> = [
    { label: 'gpt-4o, 128k context', input: base },
    { label: 'gpt-4o, 8k context', input: { ...base, contextWindow: 8_192 } },
    { label: 'estimate (llama3), 128k context', input: { ...base, model: 'llama3.1:70b' } },
    {
      label: "everything on (10k messages, 3 books × 200 entries with character filters and min activations 45 up to 100 messages, author's note, depth entries, 7 regex scripts: prompt and display-only), gpt-4o 128k",
      input: {
        ...base,
        lorebooks: [
          { id: 'chat', book: worldBook(2, 200), kind: 'chat' },
          { id: 'character', book: worldBook(3, 200), kind: 'character' },
          { id: 'global', book: worldBook(4, 200), kind: 'global' },
        ],
        authorsNote: { text: '[Style: vivid, {{char}} speaks tersely. Weather: {{random:rain,fog,clear}}.]', depth: 4, role: 'system', every: 1 },
        loreTimers: { sticky: { 'chat.0': { start: 9_998, end: 10_003 } }, cooldown: { 'global.13': { start: 9_999, end: 10_004 } } },
        variables: { mood: 'wary' },
        chatLength: 10_000,
        random: rng(99),
        macroSeed: 'bench',
        // About 40 entries fire by their keys: 45 makes the scan look up to 100 messages back, one pass each.
        worldInfo: { minActivations: 45, minActivationsDepthMax: 100 },
        transformText: regexTransform(benchScripts(), { char: 'Mira', user: 'Alex' })!,
      },
    },
  ];
  for (const { label, input } of cases) {
    const built = buildPrompt(input);
    process.stderr.write(
      `  ${label}: ${built.historyIncluded} messages, ${built.promptTokens} tokens (${built.tokenizer}), lore ${built.loreIncluded.length}, examples ${built.exampleDialogueIncluded}\n`,
    );
    const warm = await sample(100, () => buildPrompt(input), 5);
    // A fresh lorebook object and empty token caches: nothing carried over from an earlier build.
    const fresh = Array.from({ length: 60 }, () => structuredClone(book));
    let i = 0;
    const cold = await sample(60, () => {
      clearTokenCache();
      clearRegexCache();
      // The everything-on case keeps its own books (cloned, so nothing compiled carries over).
      const books = input.lorebooks.length > 1 ? input.lorebooks.map((b) => ('book' in b ? { ...b, book: structuredClone(b.book as Lorebook) } : structuredClone(b))) : [fresh[i++ % fresh.length]!];
      return buildPrompt({ ...input, lorebooks: books });
    }, 0);
    const target = `< ${TARGET_MS} ms`;
    rows.push({ suite: SUITE, name: `build, ${label} (median)`, value: median(warm), unit: 'ms', baselineName: 'concatenation', baseline: median(baseline), target, pass: median(warm) < TARGET_MS });
    rows.push({ suite: SUITE, name: `build, ${label} (p99)`, value: percentile(warm, 99), unit: 'ms', baselineName: 'concatenation p99', baseline: percentile(baseline, 99), target, pass: percentile(warm, 99) < TARGET_MS });
    const cpu = cpuPerCall(() => buildPrompt(input));
    rows.push({ suite: SUITE, name: `build, ${label} (CPU time per build)`, value: cpu, unit: 'ms', baselineName: 'concatenation CPU', baseline: baselineCpu, target, pass: cpu < TARGET_MS });
    rows.push({ suite: SUITE, name: `build cold caches, ${label} (median)`, value: median(cold), unit: 'ms', baselineName: 'concatenation', baseline: median(baseline), target, pass: median(cold) < TARGET_MS });
    rows.push({ suite: SUITE, name: `build cold caches, ${label} (p99)`, value: percentile(cold, 99), unit: 'ms', baselineName: 'concatenation p99', baseline: percentile(baseline, 99), target, pass: percentile(cold, 99) < TARGET_MS });
  }
  return rows;
}
