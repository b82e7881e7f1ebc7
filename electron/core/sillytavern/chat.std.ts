/**
 * SillyTavern's chat file (`.jsonl`), read and written. Pure functions over text.
 *
 * The format, from SillyTavern's source (1.12, src/endpoints/chats.js `/save` and `/import`, public/script.js
 * `saveChat`, public/scripts/group-chats.js `saveGroupChat`/`getGroupChat`):
 *   line 1   the header {user_name, character_name, create_date, chat_metadata}; group chats written before
 *            SillyTavern 1.13 have no header (their metadata lives in groups/<id>.json)
 *   line 2…  one message each: {name, is_user, is_system?, send_date, mes, swipes?, swipe_id?, swipe_info?, extra?,
 *            force_avatar?, original_avatar?}. `mes` is `swipes[swipe_id]`; `swipe_info[i]` holds that swipe's
 *            send_date and `extra` (where `extra.reasoning` is the model's thinking, public/scripts/reasoning.js).
 */
import { MindstageError, fail } from '../../../shared/result.std.ts';

export interface StSwipeInfo {
  send_date?: string | number;
  gen_started?: string;
  gen_finished?: string;
  extra?: Record<string, unknown>;
}

export interface StMessage {
  name?: string;
  is_user?: boolean;
  is_system?: boolean;
  send_date?: string | number;
  mes: string;
  swipes?: string[];
  swipe_id?: number;
  swipe_info?: StSwipeInfo[];
  extra?: Record<string, unknown>;
  force_avatar?: string;
  original_avatar?: string;
}

export interface StHeader {
  user_name?: string;
  character_name?: string;
  create_date?: string;
  chat_metadata?: Record<string, unknown>;
}

export interface StChat {
  header: StHeader | null;
  messages: StMessage[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A header line: an object that carries no message but names the chat's participants or metadata. */
export function isStHeader(v: unknown): v is StHeader {
  return isObject(v) && !('mes' in v) && ('user_name' in v || 'character_name' in v || 'chat_metadata' in v);
}

export function isStMessage(v: unknown): v is StMessage {
  return isObject(v) && typeof v['mes'] === 'string' && ('is_user' in v || 'name' in v);
}

/** Reads a chat file; every way it can be wrong is one `usage` error naming the line. */
export function parseStChat(text: string): StChat {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let header: StHeader | null = null;
  const messages: StMessage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      fail('usage', last ? `line ${i + 1} is not complete JSON: the file looks cut off. Nothing of it was imported.` : `line ${i + 1} is not valid JSON. Nothing of the file was imported.`);
    }
    if (header === null && messages.length === 0 && isStHeader(value)) {
      header = value;
      continue;
    }
    if (!isStMessage(value)) throw new MindstageError('usage', `line ${i + 1} is not a SillyTavern message (it needs "mes" and "is_user" or "name"). Nothing of the file was imported.`);
    checkSwipes(value, i + 1);
    messages.push(value);
  }
  if (header === null && messages.length === 0) fail('usage', 'the file is empty.');
  return { header, messages };
}

function checkSwipes(m: StMessage, line: number): void {
  if (m.swipes === undefined) return;
  if (!Array.isArray(m.swipes) || m.swipes.some((s) => typeof s !== 'string')) fail('usage', `line ${line}: "swipes" must be a list of texts.`);
  if (m.swipe_id !== undefined && (!Number.isInteger(m.swipe_id) || m.swipe_id < 0 || m.swipe_id >= m.swipes.length)) {
    fail('usage', `line ${line}: "swipe_id" ${String(m.swipe_id)} does not point at one of its ${m.swipes.length} swipes.`);
  }
}

const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * SillyTavern's dates, all in local time: `getMessageTimeStamp` ("June 19, 2023 2:20pm", public/scripts/
 * RossAscends-mods.js), `humanizedISO8601DateTime` ("2024-9-28 @01h 02m 36s 123ms", src/util.js), ISO strings
 * and epoch milliseconds (older versions). Undefined when none of them fits.
 */
export function parseStDate(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string' || v === '') return undefined;
  let m = /^(\w+) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}) ?(am|pm)$/i.exec(v.trim());
  if (m) {
    const month = months.indexOf(m[1]!);
    if (month < 0) return undefined;
    const h = (Number(m[4]) % 12) + (m[6]!.toLowerCase() === 'pm' ? 12 : 0);
    return new Date(Number(m[3]), month, Number(m[2]), h, Number(m[5])).getTime();
  }
  m = /^(\d{4})-(\d{1,2})-(\d{1,2}) ?@(\d{1,2})h ?(\d{1,2})m ?(\d{1,2})s(?: ?(\d{1,3})ms)?$/.exec(v.trim());
  if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7] ?? 0)).getTime();
  const parsed = Date.parse(v);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** `getMessageTimeStamp`'s format, so SillyTavern shows our dates as it shows its own. */
export function formatStMessageDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getHours();
  return `${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${String(d.getMinutes()).padStart(2, '0')}${h >= 12 ? 'pm' : 'am'}`;
}

/** `humanizedISO8601DateTime`'s format, which SillyTavern uses for a chat's `create_date`. */
export function formatStCreateDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()} @${two(d.getHours())}h ${two(d.getMinutes())}m ${two(d.getSeconds())}s ${two(d.getMilliseconds())}ms`;
}

/** One swipe of a message, as import needs it: text, date and reasoning. */
export interface StSwipe {
  text: string;
  sentAt: number | undefined;
  reasoning: string | undefined;
}

const reasoningOf = (extra: unknown): string | undefined => {
  const r = isObject(extra) ? extra['reasoning'] : undefined;
  return typeof r === 'string' && r !== '' ? r : undefined;
};

/** The swipes of a message (just `mes` when it has none) and which one is shown. */
export function swipesOf(m: StMessage): { swipes: StSwipe[]; chosen: number } {
  const sentAt = parseStDate(m.send_date);
  if (!m.swipes || m.swipes.length === 0) return { swipes: [{ text: m.mes, sentAt, reasoning: reasoningOf(m.extra) }], chosen: 0 };
  const chosen = m.swipe_id ?? 0;
  const swipes = m.swipes.map((text, i): StSwipe => {
    const info = m.swipe_info?.[i];
    // The shown swipe's live values are on the message itself; swipe_info may lag behind an edit.
    if (i === chosen) return { text: m.mes, sentAt, reasoning: reasoningOf(m.extra) ?? reasoningOf(info?.extra) };
    return { text, sentAt: parseStDate(info?.send_date) ?? sentAt, reasoning: reasoningOf(info?.extra) };
  });
  return { swipes, chosen };
}
