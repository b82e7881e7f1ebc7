// The card JSON mapping itself (spec.node.ts), field by field: where each kind of key goes on import, where it comes
// back on export, and every refusal's wording. The PNG/CHARX containers and the real cards are formats.test.ts,
// errors.test.ts and fixtures.test.ts; these cases are the ones mutation testing showed no test pinned.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharacterFields } from '../../../shared/domain.std.ts';
import { refusal } from '../../../tests/support/refusal.node.ts';
import { cardToFields, fieldsToV2, fieldsToV3, parseCardJson } from './spec.node.ts';

type Json = Record<string, unknown>;

const fields = (input: Json) => CharacterFields.parse(input);
const v2 = (data: Json, top: Json = {}) => ({ ...top, spec: 'chara_card_v2', spec_version: '2.0', data });

describe('a card as SillyTavern writes it', () => {
  // tests/fixtures/sillytavern/card-charaFormatData.json: the shape of SillyTavern's `charaFormatData`
  // (src/endpoints/characters.js): V1 copies at the top, its own extras (creatorcomment, avatar, chat, talkativeness,
  // fav, create_date) beside them, and `data.extensions` with talkativeness, fav, world and depth_prompt.
  const stCard = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../tests/fixtures/sillytavern/card-charaFormatData.json'), 'utf8')) as Json;

  it('keeps its own top-level fields, notes which V1 copies sat there, and gives the same card back', () => {
    const { spec, fields: f } = cardToFields(stCard);
    expect(spec).toBe('v2');
    expect(f.card_extra).toStrictEqual({
      top: { creatorcomment: "Made in SillyTavern's editor.", avatar: 'none', chat: 'Aria - 2024-9-28 @01h 02m 36s 123ms', talkativeness: '0.5', fav: false, create_date: '2024-9-28 @01h 02m 36s 123ms' },
      v1_copies: ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'],
    });
    expect(f.extensions).toStrictEqual({ talkativeness: '0.5', fav: false, world: '', depth_prompt: { prompt: '', depth: 4 } });
    // The V2 chunk is the same card, key for key (the order of keys aside).
    expect(fieldsToV2(f)).toStrictEqual(stCard);
    const v3 = fieldsToV3(f);
    expect(v3).toStrictEqual({ ...stCard, spec: 'chara_card_v3', spec_version: '3.0', data: { ...(stCard.data as Json), group_only_greetings: [] } });
    expect(cardToFields(v3).fields).toStrictEqual(f);
  });

  it('counts a top-level copy of a field the data lacks as a copy when it is empty', () => {
    const card = v2({ name: 'N' }, { name: 'N', personality: '', scenario: 'stale' });
    const f = cardToFields(card).fields;
    expect(f.card_extra).toStrictEqual({ top: { scenario: 'stale' }, v1_copies: ['name', 'personality'] });
    expect(fieldsToV3(f)).toStrictEqual({ name: 'N', personality: '', scenario: 'stale', spec: 'chara_card_v3', spec_version: '3.0', data: fieldsToV3(f).data });
  });
});

describe('reading the fields', () => {
  it('refuses what is not an object, naming the format when `data` is missing', () => {
    for (const bad of [null, [], 'card', 3]) expect(refusal(() => cardToFields(bad))).toMatchObject({ code: 'usage', message: 'The card is not a JSON object.' });
    expect(refusal(() => cardToFields({ spec: 'chara_card_v2' })).message).toBe('The V2 card has no "data" object.');
    expect(refusal(() => cardToFields({ spec: 'chara_card_v3', data: [] })).message).toBe('The V3 card has no "data" object.');
  });

  it('reads the spec: missing or null is V1, newer versions are unsupported, anything else is not a card', () => {
    expect(cardToFields({ name: 'A' }).spec).toBe('v1');
    expect(cardToFields({ name: 'A', spec: null }).spec).toBe('v1');
    expect(cardToFields(v2({ name: 'A' })).spec).toBe('v2');
    expect(cardToFields({ spec: 'chara_card_v3', data: { name: 'A' } }).spec).toBe('v3');
    for (const newer of ['chara_card_v4', 'chara_card_v10']) {
      expect(refusal(() => cardToFields({ spec: newer, data: { name: 'A' } }))).toMatchObject({
        code: 'unsupported',
        message: `This card uses the format "${newer}", which is newer than this version of Mindstage understands.`,
      });
    }
    for (const other of ['chara_card_v1', 'chara_card_v03', 'chara_card_v3x', 'chara_card_v9x', 'xchara_card_v9', 'chara_card_v', 'CHARA_CARD_V2', 4, true]) {
      expect(refusal(() => cardToFields({ spec: other, data: { name: 'A' } }))).toMatchObject({
        code: 'usage',
        message: 'The file is not a character card: its "spec" is not chara_card_v2 or chara_card_v3.',
      });
    }
  });

  it('needs a name that is a string with more than blanks', () => {
    for (const name of [undefined, 7, '', '   ']) {
      expect(refusal(() => cardToFields(v2({ name })))).toMatchObject({ code: 'usage', message: 'The card has no character name.' });
    }
    expect(cardToFields(v2({ name: ' B ' })).fields.name).toBe(' B ');
  });

  it('takes null as absent and keeps unknown data keys apart, nothing more', () => {
    const f = cardToFields(v2({ name: 'A', creator_notes: null, nickname: null, odd: null, other: 1 })).fields;
    expect(f.creator_notes).toBe('');
    expect(f.nickname).toBeUndefined();
    expect(f.card_extra).toStrictEqual({ data: { odd: null, other: 1 } });
    // No unknown keys and no top level: no extra at all.
    expect(cardToFields(v2({ name: 'A' })).fields.card_extra).toStrictEqual({});
    expect(cardToFields({ name: 'A' }).fields.card_extra).toStrictEqual({});
    expect(cardToFields({ name: 'A', chat: 'c' }).fields.card_extra).toStrictEqual({ top: { chat: 'c' } });
  });

  it('names the invalid field, under `data` for V2 and V3 and at the top for V1', () => {
    expect(refusal(() => cardToFields(v2({ name: 'A', tags: 'x' }))).message).toMatch(/^The card's field "data\.tags" is invalid: .+\.$/);
    expect(refusal(() => cardToFields({ spec: 'chara_card_v3', data: { name: 'A', alternate_greetings: ['ok', 5] } })).message).toMatch(/^The card's field "data\.alternate_greetings\.1" is invalid: /);
    expect(refusal(() => cardToFields({ name: 'A', description: 5 })).message).toMatch(/^The card's field "description" is invalid: /);
  });

  it('fills in use_regex: false on lorebook entries that lack it, and only on those', () => {
    const book = { name: 'b', extensions: {}, entries: [
      { keys: ['a'], content: 'x', extensions: {}, enabled: true, insertion_order: 1 },
      { keys: ['b'], content: 'y', extensions: {}, enabled: true, insertion_order: 2, use_regex: true },
    ] };
    const f = cardToFields(v2({ name: 'A', character_book: book })).fields;
    expect(f.character_book?.entries.map((e) => e.use_regex)).toEqual([false, true]);
    expect(f.character_book?.name).toBe('b');
    // Entries that are not objects are left for the schema to refuse, not turned into objects.
    expect(refusal(() => cardToFields(v2({ name: 'A', character_book: { ...book, entries: ['text'] } }))).message).toMatch(/"data\.character_book\.entries\.0"/);
  });

  it('stores only the exact default assets list as no list', () => {
    const icon = { type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' };
    const v3 = (assets: unknown) => cardToFields({ spec: 'chara_card_v3', data: { name: 'A', assets } }).fields.assets;
    expect(v3([icon])).toBeUndefined();
    expect(v3([{ ...icon, ext: 'webp' }])).toBeUndefined();
    for (const kept of [
      [icon, icon],
      [{ ...icon, type: 'background' }],
      [{ ...icon, uri: 'https://x/y.png' }],
      [{ ...icon, name: 'other' }],
      [{ ...icon, ext: 1 }],
      [{ ...icon, extra: true }],
      [{ type: 'icon', uri: 'ccdefault:', name: 'main' }],
      [],
    ]) {
      expect(v3(kept)).toStrictEqual(kept);
    }
  });
});

describe('writing the card', () => {
  const base = fields({ name: 'A', description: 'd', nickname: 'Nick', creation_date: 5 });

  it('marks the spec and version of each format, with the V1 copies at the top of V2 only when not listed', () => {
    const v3 = fieldsToV3(base);
    expect(v3.spec).toBe('chara_card_v3');
    expect(v3.spec_version).toBe('3.0');
    expect(Object.keys(v3)).toEqual(['spec', 'spec_version', 'data']);
    expect(v3.data).toMatchObject({ name: 'A', description: 'd', nickname: 'Nick', creation_date: 5 });
    expect(v3.data).not.toHaveProperty('card_extra');
    expect(v3.data).not.toHaveProperty('source'); // undefined fields are left out, not written as undefined

    const v2 = fieldsToV2(base);
    expect(v2).toMatchObject({ spec: 'chara_card_v2', spec_version: '2.0', name: 'A', description: 'd', personality: '', scenario: '', first_mes: '', mes_example: '' });
    expect(v2.data).not.toHaveProperty('nickname'); // V3-only fields stay out of V2
    expect(v2.data).not.toHaveProperty('creation_date');
  });

  it('lets known fields win over hand-edited extras, and keeps envelope keys out of the extras', () => {
    const f = fields({
      name: 'A',
      card_extra: { top: { spec: 'chara_card_v9', data: 'x', spec_version: '9', note: 1 }, data: { name: 'shadow', nickname: 'kept in V3 only', unknown: 2 } },
    });
    const v3 = fieldsToV3(f);
    expect(Object.keys(v3)).toEqual(['note', 'spec', 'spec_version', 'data']);
    expect(v3.data).toMatchObject({ name: 'A', nickname: 'kept in V3 only', unknown: 2 });
    const v2 = fieldsToV2(f);
    expect(JSON.stringify(v2)).toBe(JSON.stringify({ name: 'A', description: '', personality: '', scenario: '', first_mes: '', mes_example: '', note: 1, spec: 'chara_card_v2', spec_version: '2.0', data: { ...dataV2(f), unknown: 2 } }));
  });

  it('reads a damaged card_extra leniently: non-objects are no extras, only V1 names are copies', () => {
    const f = fields({ name: 'A', tags: ['t'], card_extra: { top: ['x'], data: 'y', v1_copies: ['name', 7, 'tags', 'nope'] } });
    expect(fieldsToV3(f)).toStrictEqual({ name: 'A', spec: 'chara_card_v3', spec_version: '3.0', data: fieldsToV3(fields({ name: 'A', tags: ['t'] })).data });
    const g = fields({ name: 'A', card_extra: { v1_copies: 'name' } });
    expect(Object.keys(fieldsToV3(g))).toEqual(['spec', 'spec_version', 'data']);
  });
});

/** The V2 `data` of fields with no extras: the known V2 keys in their order. */
function dataV2(f: CharacterFields): Json {
  const keys = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example', 'creator_notes', 'system_prompt', 'post_history_instructions', 'alternate_greetings', 'character_book', 'tags', 'creator', 'character_version', 'extensions'];
  return Object.fromEntries(keys.filter((k) => (f as unknown as Json)[k] !== undefined).map((k) => [k, (f as unknown as Json)[k]]));
}

describe('parsing the JSON', () => {
  it('reads text and UTF-8 bytes, with or without a byte order mark', () => {
    expect(parseCardJson('{"a":1}', 'The JSON file')).toEqual({ a: 1 });
    expect(parseCardJson('\uFEFF{"a":1}', 'The JSON file')).toEqual({ a: 1 });
    expect(parseCardJson(new TextEncoder().encode('\uFEFF{"é":"ü"}'), 'The JSON file')).toEqual({ é: 'ü' });
  });

  it('refuses bad UTF-8, bad JSON (saying where, never quoting it), deep nesting and prototype keys', () => {
    const utf8 = refusal(() => parseCardJson(new Uint8Array([0x7b, 0xff, 0x7d]), 'The PNG\'s chara chunk'));
    expect(utf8).toMatchObject({ code: 'usage', message: "The PNG's chara chunk is not valid UTF-8 text." });
    expect(utf8.cause).toBeInstanceOf(TypeError); // the decoder's own error, kept for the log
    const syntax = refusal(() => parseCardJson('{"secret":1 "b"}', 'The JSON file'));
    expect(syntax).toMatchObject({ code: 'usage', message: 'The JSON file is not valid JSON (error at character 12).' });
    expect(syntax.cause).toBeInstanceOf(SyntaxError);
    // V8 quotes the text for some errors and gives no position: the message then says only that.
    expect(refusal(() => parseCardJson('{"secret": nope}', 'The JSON file')).message).toBe('The JSON file is not valid JSON.');
    expect(refusal(() => parseCardJson('['.repeat(70) + ']'.repeat(70), 'The JSON file'))).toMatchObject({ code: 'usage', message: expect.stringMatching(/^The JSON file nests deeper than 64 levels/) });
    expect(refusal(() => parseCardJson('{"data":{"__proto__":{}}}', 'The JSON file'))).toMatchObject({ code: 'usage', message: expect.stringMatching(/^The JSON file contains a field named "__proto__"/) });
  });
});
