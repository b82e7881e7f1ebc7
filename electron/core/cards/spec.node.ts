/**
 * Character Card V1/V2/V3 JSON <-> CharacterFields. Fields keep the card spec's names, so the mapping is mostly
 * sorting keys into "known" and "kept for later": anything this build does not understand is stored in
 * `card_extra` and written back exactly where it was found, so a card survives import and export whole.
 */
import { CharacterFields } from '../../../shared/domain.std.ts';
import { fail } from '../../../shared/result.std.ts';
import { hostileJsonText, hostileJsonValue } from '../../../shared/json-guard.std.ts';

export type CardSpec = 'v1' | 'v2' | 'v3';
type Json = Record<string, unknown>;

/** The fields of V1, which hybrid V2/V3 cards also copy to their top level for old readers. */
const v1Keys = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const;
const v2Keys = [
  ...v1Keys, 'creator_notes', 'system_prompt', 'post_history_instructions', 'alternate_greetings', 'character_book',
  'tags', 'creator', 'character_version', 'extensions',
] as const;
const v3OnlyKeys = [
  'group_only_greetings', 'assets', 'nickname', 'creator_notes_multilingual', 'source', 'creation_date', 'modification_date',
] as const;
const knownDataKeys = new Set<string>([...v2Keys, ...v3OnlyKeys]);
const envelopeKeys = new Set(['spec', 'spec_version', 'data']);

/**
 * How `card_extra` is laid out: unknown top-level keys, unknown `data` keys, and which V1 copies sat at the top
 * level (they are regenerated from the current fields on export, so an edit cannot leave a stale copy behind).
 */
interface CardExtra {
  top?: Json;
  data?: Json;
  v1_copies?: string[];
}

/** Plain assignment of a key named "__proto__" would set the prototype instead of keeping the field. */
function setOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads any card JSON value (already parsed) into validated fields. */
export function cardToFields(card: unknown): { spec: CardSpec; fields: CharacterFields } {
  if (!isObject(card)) fail('usage', 'The card is not a JSON object.');
  const root = card as Json;
  const spec = readSpec(root);
  const data = spec === 'v1' ? root : root.data;
  if (!isObject(data)) return fail('usage', `The ${spec.toUpperCase()} card has no "data" object.`);

  const extra: CardExtra = {};
  const input: Json = {};
  const unknownData: Json = {};
  for (const [key, value] of Object.entries(data)) {
    if (!knownDataKeys.has(key)) setOwn(unknownData, key, value);
    else if (value !== null) input[key] = value; // null is how many writers say "absent"
  }
  if (spec === 'v1') {
    if (Object.keys(unknownData).length > 0) extra.top = unknownData;
  } else {
    if (Object.keys(unknownData).length > 0) extra.data = unknownData;
    const top: Json = {};
    const copies: string[] = [];
    for (const [key, value] of Object.entries(root)) {
      if (envelopeKeys.has(key)) continue;
      // A copy that matches its data field is regenerated on export; one that differs is kept verbatim.
      if ((v1Keys as readonly string[]).includes(key) && value === (data[key] ?? '')) copies.push(key);
      else setOwn(top, key, value);
    }
    if (Object.keys(top).length > 0) extra.top = top;
    if (copies.length > 0) extra.v1_copies = copies;
  }
  if (typeof input.name !== 'string' || input.name.trim() === '') fail('usage', 'The card has no character name.');
  normaliseLorebook(input);
  if (isDefaultAssets(input.assets)) delete input.assets;
  input.card_extra = extra;

  const parsed = CharacterFields.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = [...(spec === 'v1' ? [] : ['data']), ...(issue?.path ?? [])].join('.');
    return fail('usage', `The card's field "${where}" is invalid: ${issue?.message ?? 'unexpected value'}.`);
  }
  return { spec, fields: parsed.data };
}

function readSpec(root: Json): CardSpec {
  const spec = root.spec;
  if (spec === undefined || spec === null) return 'v1';
  if (spec === 'chara_card_v2') return 'v2';
  if (spec === 'chara_card_v3') return 'v3';
  if (typeof spec === 'string' && Number(/^chara_card_v(\d+)$/.exec(spec)?.[1] ?? 0) > 3) {
    return fail('unsupported', `This card uses the format "${spec}", which is newer than this version of Mindstage understands.`);
  }
  return fail('usage', 'The file is not a character card: its "spec" is not chara_card_v2 or chara_card_v3.');
}

/**
 * V3 makes `use_regex` required on lorebook entries; V2 cards lack it. Filling in the V2 meaning (false) once,
 * at import, keeps exports spec-valid and round trips exact.
 */
function normaliseLorebook(input: Json): void {
  const book = input.character_book;
  if (!isObject(book) || !Array.isArray(book.entries)) return;
  input.character_book = {
    ...book,
    entries: book.entries.map((e: unknown) => (isObject(e) && e.use_regex === undefined ? { ...e, use_regex: false } : e)),
  };
}

/** V3: a missing `assets` means exactly this list, so the two are stored the same way (as missing). */
function isDefaultAssets(assets: unknown): boolean {
  if (!Array.isArray(assets) || assets.length !== 1 || !isObject(assets[0])) return false;
  const a = assets[0];
  return Object.keys(a).length === 4 && a.type === 'icon' && a.uri === 'ccdefault:' && a.name === 'main' && typeof a.ext === 'string';
}

function readExtra(fields: CharacterFields): Required<CardExtra> {
  const e = fields.card_extra;
  return {
    top: isObject(e.top) ? e.top : {},
    data: isObject(e.data) ? e.data : {},
    v1_copies: Array.isArray(e.v1_copies) ? e.v1_copies.filter((k): k is string => typeof k === 'string') : [],
  };
}

/** Known keys win over kept extras, so a hand-edited `card_extra` can never shadow a real field. */
function withExtras(known: Json, extras: Json, reserved: Set<string>): Json {
  const out: Json = { ...known };
  for (const [key, value] of Object.entries(extras)) if (!Object.hasOwn(out, key) && !reserved.has(key)) setOwn(out, key, value);
  return out;
}

function dataOf(f: CharacterFields, keys: readonly string[]): Json {
  const source = f as unknown as Json;
  const data: Json = {};
  for (const key of keys) if (source[key] !== undefined) data[key] = source[key];
  return data;
}

function v1CopiesOf(f: CharacterFields, keys: readonly string[]): Json {
  const source = f as unknown as Json;
  return Object.fromEntries(keys.filter((k) => (v1Keys as readonly string[]).includes(k)).map((k) => [k, source[k]]));
}

/** The V3 card (`chara_card_v3`), with unknown fields back where they came from. */
export function fieldsToV3(fields: CharacterFields): Json {
  const extra = readExtra(fields);
  const data = withExtras(dataOf(fields, [...v2Keys, ...v3OnlyKeys]), extra.data, new Set());
  const top = withExtras(v1CopiesOf(fields, extra.v1_copies), extra.top, envelopeKeys);
  return { ...top, spec: 'chara_card_v3', spec_version: '3.0', data };
}

/**
 * The V2 card for the PNG `chara` chunk, read by apps that do not know V3. It always carries the V1 copies at
 * the top level, as SillyTavern writes them, so V1-only readers still get the essentials.
 */
export function fieldsToV2(fields: CharacterFields): Json {
  const extra = readExtra(fields);
  const data = withExtras(dataOf(fields, v2Keys), extra.data, knownDataKeys);
  const top = withExtras(v1CopiesOf(fields, v1Keys), extra.top, envelopeKeys);
  return { ...top, spec: 'chara_card_v2', spec_version: '2.0', data };
}

/** Parses card JSON from bytes; `what` names the source in the error ("The JSON file", "The PNG's chara chunk"). */
export function parseCardJson(source: Uint8Array | string, what: string): unknown {
  let text: string;
  try {
    text = typeof source === 'string' ? source : new TextDecoder('utf-8', { fatal: true }).decode(source);
  } catch (e) {
    return fail('usage', `${what} is not valid UTF-8 text.`, { cause: e });
  }
  const hostile = hostileJsonText(text, what);
  if (hostile) return fail('usage', hostile);
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    // V8's message can quote the text around the error; only the position is safe to repeat.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    return fail('usage', `${what} is not valid JSON${at === undefined ? '' : ` (error at character ${at})`}.`, { cause: e });
  }
  const bad = hostileJsonValue(value, what);
  if (bad) return fail('usage', bad);
  return value;
}
