/**
 * SillyTavern's macros (public/scripts/macros.js `evaluateMacros`, variables.js `replaceVariableMacros`), for
 * prompts and for every text the app shows. Pure: the caller gives names, card fields, the last messages, the
 * clock and a seed; the renderer, the CLI and the prompt builder call the same function, so what is shown is what
 * is sent. docs/prompt.md "Macros" lists them and the choices made.
 *
 * Randomness ({{random}}, {{pick}}, {{roll}}) is seeded: by the text itself, the macro's place in it and `seed`
 * (a message's ids when it is shown or sent, the conversation and turn for card text), so a message shows the same
 * roll after a reload and the model is sent exactly what the user sees.
 */

export interface MacroNames {
  /** The character the text belongs to (in a group chat, that character, not necessarily the speaker). */
  char: string;
  user: string;
}

export interface MacroEnv extends MacroNames {
  description?: string;
  personality?: string;
  scenario?: string;
  /** The persona's description. */
  persona?: string;
  mesExamples?: string;
  /** Group members' names joined with ", " (SillyTavern's {{group}}); `char` when not a group. */
  group?: string;
  lastMessage?: string;
  lastCharMessage?: string;
  lastUserMessage?: string;
  /** Time of the last user message before the newest message, for {{idle_duration}}. */
  lastUserMessageAt?: number;
  /** "Now", for {{time}}, {{date}}, {{weekday}}, {{idle_duration}}; default: the real clock. */
  now?: number;
  /** Seeds {{random}}, {{pick}} and {{roll}}. */
  seed?: string;
  /**
   * Chat-local variables. {{getvar}} reads them; {{setvar}}, {{addvar}}, {{incvar}} and {{decvar}} change them
   * only when `writeVars` is true (a real generation), else they evaluate as if they had but change nothing.
   */
  vars?: Record<string, string>;
  writeVars?: boolean;
}

// ---- seeded randomness ------------------------------------------------------------------------------------------

/** FNV-1a, 32 bits: a seed from a string (not for security, only for stable picks). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, well-distributed PRNG; one per macro occurrence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `{{random: a, b}}` / `{{random::a::b}}` items, as SillyTavern splits them (commas trimmed, `\,` kept). */
function listItems(list: string): string[] {
  if (list.includes('::')) return list.split('::');
  // Split on commas not escaped as "\,", then unescape.
  return list.split(/(?<!\\),/).map((item) => item.trim().replace(/\\,/g, ','));
}

/** `NdM[+K|-K]`; a bare number N means 1dN. Null when not a formula (SillyTavern then writes nothing). */
export function rollDice(formula: string, random: () => number): number | null {
  const f = formula.trim();
  const m = /^(\d*)d(\d+)\s*([+-]\s*\d+)?$/i.exec(/^\d+$/.test(f) ? `1d${f}` : f);
  if (!m) return null;
  const count = m[1] === '' ? 1 : Number(m[1]);
  const sides = Number(m[2]);
  if (count < 1 || count > 100 || sides < 1 || sides > 1_000_000) return null;
  let total = Number((m[3] ?? '0').replace(/\s/g, ''));
  for (let i = 0; i < count; i++) total += 1 + Math.floor(random() * sides);
  return total;
}

// ---- time -------------------------------------------------------------------------------------------------------

function humanDuration(ms: number): string {
  // moment's humanize thresholds, in words (SillyTavern prints e.g. "a few seconds", "5 minutes", "2 days").
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 45) return 'a few seconds';
  if (s < 90) return 'a minute';
  const min = Math.round(s / 60);
  if (min < 45) return `${min} minutes`;
  if (min < 90) return 'an hour';
  const h = Math.round(min / 60);
  if (h < 22) return `${h} hours`;
  if (h < 36) return 'a day';
  const d = Math.round(h / 24);
  if (d < 26) return `${d} days`;
  if (d < 46) return 'a month';
  if (d < 320) return `${Math.round(d / 30.4)} months`;
  if (d < 548) return 'a year';
  return `${Math.round(d / 365)} years`;
}

// ---- evaluation -------------------------------------------------------------------------------------------------

const legacy = /<(user|bot|char)>/gi;
const simple = /\{\{\s*(char|user|persona|description|personality|scenario|mesExamples|mes_examples|group|charIfNotGroup|lastMessage|lastCharMessage|lastUserMessage|time|date|weekday|isotime|isodate|idle_duration|newline|noop)\s*\}\}/gi;

function numberish(v: string): number | null {
  return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
}

/** Applies every macro; text without "{{" or "<" is returned as is (most chat messages). */
export function applyMacros(text: string, env: MacroEnv): string {
  if (!text.includes('{{') && !text.includes('<')) return text;
  const raw = text;
  const base = hash32(`${env.seed ?? ''}\u0001${raw}`);
  const rng = (offset: number): (() => number) => seededRandom(base ^ Math.imul(offset + 1, 0x9e3779b1));
  let out = text.replace(legacy, (_m, w: string) => (w.toLowerCase() === 'user' ? env.user : env.char));
  if (!out.includes('{{')) return out;
  out = out.replace(/\{\{roll[ :]([^}]+)\}\}/gi, (_m, formula: string, offset: number) => {
    const total = rollDice(formula, rng(offset));
    return total === null ? '' : String(total);
  });
  out = variableMacros(out, env);
  out = out.replace(/(?:\r?\n)*\{\{trim\}\}(?:\r?\n)*/gi, '');
  const now = new Date(env.now ?? Date.now());
  out = out.replace(simple, (_m, name: string) => {
    switch (name.toLowerCase()) {
      case 'char':
        return env.char;
      case 'user':
        return env.user;
      case 'persona':
        return env.persona ?? '';
      case 'description':
        return env.description ?? '';
      case 'personality':
        return env.personality ?? '';
      case 'scenario':
        return env.scenario ?? '';
      case 'mesexamples':
      case 'mes_examples':
        return env.mesExamples ?? '';
      case 'group':
      case 'charifnotgroup':
        return env.group ?? env.char;
      case 'lastmessage':
        return env.lastMessage ?? '';
      case 'lastcharmessage':
        return env.lastCharMessage ?? '';
      case 'lastusermessage':
        return env.lastUserMessage ?? '';
      case 'time':
        return now.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
      case 'date':
        return now.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric' });
      case 'weekday':
        return now.toLocaleDateString('en-US', { weekday: 'long' });
      case 'isotime':
        return `${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
      case 'isodate':
        return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
      case 'idle_duration':
        return env.lastUserMessageAt === undefined ? 'just now' : humanDuration(now.getTime() - env.lastUserMessageAt);
      case 'newline':
        return '\n';
      default:
        return '';
    }
  });
  // After the names, as SillyTavern does, so a comment may mention {{char}} and still be removed whole.
  out = out.replace(/\{\{\/\/[\s\S]*?\}\}/g, '');
  out = out.replace(/\{\{reverse:(.+?)\}\}/gi, (_m, s: string) => Array.from(s).reverse().join(''));
  // {{random}} and {{pick}} are both stable here: SillyTavern re-rolls {{random}} on every evaluation, which in an
  // app that re-renders a message would change what the user sees under their eyes (docs/prompt.md, Choice).
  out = out.replace(/\{\{(random|pick)\s?::?([^}]+)\}\}/gi, (_m, _kind: string, list: string, offset: number) => {
    const items = listItems(list);
    return items[Math.floor(rng(offset)() * items.length)] ?? '';
  });
  return out;
}

/** setvar / getvar / addvar / incvar / decvar (chat-local), evaluated left to right as SillyTavern does. */
function variableMacros(text: string, env: MacroEnv): string {
  if (!/\{\{(set|get|add|inc|dec)var::/i.test(text)) return text;
  const vars: Record<string, string> = env.writeVars ? (env.vars ??= {}) : { ...env.vars };
  return text.replace(/\{\{(setvar|getvar|addvar|incvar|decvar)::([^}]*?)(?:::([^}]*))?\}\}/gi, (_m, op: string, name: string, value: string | undefined) => {
    const key = name.trim();
    const current = Object.hasOwn(vars, key) ? vars[key]! : '';
    switch (op.toLowerCase()) {
      case 'setvar':
        vars[key] = value ?? '';
        return '';
      case 'getvar':
        return current;
      case 'addvar': {
        const a = numberish(current === '' ? '0' : current);
        const b = numberish(value ?? '');
        vars[key] = a !== null && b !== null ? String(a + b) : current + (value ?? '');
        return '';
      }
      default: {
        const n = (numberish(current) ?? 0) + (op.toLowerCase() === 'incvar' ? 1 : -1);
        vars[key] = String(n);
        return String(n);
      }
    }
  });
}

const original = /\{\{\s*original\s*\}\}/gi;

/**
 * A card's system_prompt / post_history_instructions replace the app's default; {{original}} inside them stands
 * for that default (V2 spec). Empty card text means "use the default".
 */
export function replaceOriginal(cardText: string, defaultText: string): string {
  if (cardText.trim() === '') return defaultText;
  return cardText.replace(original, () => defaultText);
}
