// V1, full V3 and CHARX cards built here (the fixtures have no V1, no assets and no CHARX), plus a property:
// any valid set of fields survives every format unchanged.
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import fc from 'fast-check';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { describe, expect, it } from 'vitest';
import type { CharacterInput } from '../../../shared/domain.std.ts';
import { CharacterFields } from '../../../shared/domain.std.ts';
import { cardFormats, exportCard, importCard } from './index.node.ts';

const json = (value: unknown): Uint8Array => strToU8(JSON.stringify(value));
const parse = (bytes: Uint8Array): Record<string, Record<string, unknown>> => JSON.parse(strFromU8(bytes)) as Record<string, Record<string, unknown>>;
const tinyPng = exportCard({ name: 'Placeholder' }, 'png'); // any valid PNG will do as an image

const fullV3 = {
  spec: 'chara_card_v3',
  spec_version: '3.0',
  app_marker: { kept: true },
  data: {
    name: 'Ada',
    description: 'An engineer.',
    personality: 'precise',
    scenario: 'A workshop.',
    first_mes: 'Hello, {{user}}.',
    mes_example: '<START>\n{{char}}: Hi.',
    creator_notes: 'notes',
    system_prompt: '{{original}} Stay in character.',
    post_history_instructions: 'Be brief.',
    alternate_greetings: ['Hi again.'],
    group_only_greetings: ['Hello, everyone.'],
    tags: ['engineer'],
    creator: 'someone',
    character_version: '2',
    nickname: 'Countess',
    creator_notes_multilingual: { fr: 'notes en français' },
    source: ['https://example.org/ada'],
    creation_date: 1_700_000_000,
    modification_date: 1_700_000_100,
    assets: [
      { type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' },
      { type: 'background', uri: 'https://example.org/bg.png', name: 'bg', ext: 'png' },
    ],
    character_book: {
      name: 'Engines',
      scan_depth: 4,
      token_budget: 500,
      recursive_scanning: false,
      extensions: { book_ext: 1 },
      entries: [
        { keys: ['engine'], content: '@@depth 2\nThe analytical engine.', extensions: { e: [1] }, enabled: true, insertion_order: 5, use_regex: true, custom_entry_field: 'kept' },
      ],
      custom_book_field: 'kept',
    },
    extensions: { depth_prompt: { depth: 4 }, nested: { deep: [1, { x: null }] } },
    unknown_data_field: { kept: 'too' },
    ['__proto__']: 'an own key, not a prototype',
  },
};

describe('card versions built by hand', () => {
  it('reads a V1 card, keeping its app-specific fields at the top level', () => {
    const v1 = { name: 'Old', description: 'd', personality: 'p', scenario: 's', first_mes: 'f', mes_example: 'm', avatar: 'none', chat: 'x' };
    const card = importCard(json(v1), 'old.json');
    expect(card.spec).toBe('v1');
    expect(card.fields).toMatchObject({ name: 'Old', description: 'd', personality: 'p', scenario: 's', first_mes: 'f', mes_example: 'm' });
    expect(card.fields.card_extra).toEqual({ top: { avatar: 'none', chat: 'x' } });
    const out = parse(exportCard(card.fields, 'json'));
    expect(out.avatar).toBe('none');
    expect(out.chat).toBe('x');
    expect(out.data?.name).toBe('Old');
    expect(importCard(exportCard(card.fields, 'json')).fields).toStrictEqual(card.fields);
  });

  it('keeps every V3 field, unknown field and lorebook detail through every format', () => {
    const first = importCard(json(fullV3)); // the computed ['__proto__'] key is an own key, and JSON keeps it
    const f = first.fields;
    expect(f.card_extra).toEqual({ top: { app_marker: { kept: true } }, data: { unknown_data_field: { kept: 'too' }, ['__proto__']: 'an own key, not a prototype' } });
    expect(Object.hasOwn(f.card_extra.data as object, '__proto__')).toBe(true);
    expect(f.character_book?.entries[0]).toMatchObject({ use_regex: true, custom_entry_field: 'kept' });
    expect(f.character_book).toMatchObject({ custom_book_field: 'kept', scan_depth: 4 });
    expect(f.assets).toHaveLength(2);
    expect(f.nickname).toBe('Countess');
    for (const format of cardFormats) {
      const again = importCard(exportCard(f, format, { bytes: tinyPng, mime: 'image/png' }));
      expect(again.fields).toStrictEqual(f);
    }
    const out = parse(exportCard(f, 'json'));
    expect(out.app_marker).toEqual({ kept: true });
    expect(out.data?.unknown_data_field).toEqual({ kept: 'too' });
    expect(Object.hasOwn(out.data ?? {}, '__proto__')).toBe(true);
  });

  it('writes a V2 `chara` chunk from which an app reading only V2 gets every V2 field and unknown data field', () => {
    const v3 = importCard(json(fullV3)).fields;
    const png = exportCard(v3, 'png', { bytes: tinyPng, mime: 'image/png' });
    // What a V2-only app sees: the same PNG without the ccv3 chunk (so importCard has to read `chara`).
    const chunks = extractChunks(png).filter((c) => !(c.name === 'tEXt' && pngText.decode(c).keyword === 'ccv3'));
    expect(chunks.some((c) => c.name === 'tEXt' && pngText.decode(c).keyword === 'chara')).toBe(true);
    const v2 = importCard(encodeChunks(chunks));
    expect(v2.spec).toBe('v2');
    const v2Only = Object.fromEntries(Object.entries(v3).filter(([k]) => !['group_only_greetings', 'assets', 'nickname', 'creator_notes_multilingual', 'source', 'creation_date', 'modification_date', 'card_extra'].includes(k)));
    expect(v2.fields).toMatchObject(v2Only);
    expect((v2.fields.card_extra as { data: Record<string, unknown> }).data).toMatchObject({ unknown_data_field: { kept: 'too' } });
    expect(v2.fields.nickname).toBeUndefined();
  });

  it('treats the default assets list as no list, as V3 says they mean the same', () => {
    const card = { spec: 'chara_card_v3', spec_version: '3.0', data: { name: 'D', assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }] } };
    expect(importCard(json(card)).fields.assets).toBeUndefined();
  });

  it('leaves out what is not a card field when exporting a stored character', () => {
    const stored = { ...importCard(json(fullV3)).fields, id: 'a'.repeat(32), createdAt: 1, updatedAt: 2, avatar_asset: 'asset-1' } as CharacterInput;
    const out = parse(exportCard(stored, 'json'));
    for (const key of ['id', 'createdAt', 'updatedAt', 'avatar_asset']) {
      expect(out[key]).toBeUndefined();
      expect(out.data?.[key]).toBeUndefined();
    }
  });
});

describe('CHARX', () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
  const card = {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      name: 'Zipped',
      assets: [
        { type: 'icon', uri: 'embeded://assets/icon/images/portrait.jpg', name: 'main', ext: 'jpg' },
        { type: 'emotion', uri: 'embeded://assets/emotion/images/happy.png', name: 'happy', ext: 'png' },
      ],
    },
  };
  const charx = zipSync({
    'card.json': json(card),
    'assets/icon/images/portrait.jpg': jpeg,
    'assets/emotion/images/happy.png': tinyPng,
    'x_meta/1.json': strToU8('{}'),
  });

  it('takes the main icon as the avatar and returns the other embedded files', () => {
    const imported = importCard(charx, 'zipped.charx');
    expect(imported.spec).toBe('v3');
    expect(imported.avatar).toStrictEqual({ bytes: jpeg, mime: 'image/jpeg' });
    expect(imported.files).toStrictEqual([{ path: 'assets/emotion/images/happy.png', bytes: tinyPng }]);
    expect(imported.fields.assets?.[0]).toEqual({ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'jpg' });
    expect(imported.fields.assets?.[1]?.uri).toBe('embeded://assets/emotion/images/happy.png');
  });

  it('writes them back, keeping every field', () => {
    const imported = importCard(charx);
    const out = exportCard(imported.fields, 'charx', imported.avatar, imported.files);
    const files = unzipSync(out);
    expect(Object.keys(files).sort()).toEqual(['assets/emotion/images/happy.png', 'assets/icon/images/main.jpeg', 'card.json']);
    expect(files['assets/icon/images/main.jpeg']).toStrictEqual(jpeg);
    const again = importCard(out);
    expect(again.files).toStrictEqual(imported.files);
    expect(again.avatar).toStrictEqual(imported.avatar);
    expect(again.fields).toStrictEqual({ ...imported.fields, assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'jpeg' }, imported.fields.assets?.[1]] });
  });

  it('reads a CHARX without embedded assets', () => {
    const imported = importCard(zipSync({ 'card.json': json({ spec: 'chara_card_v3', spec_version: '3.0', data: { name: 'Bare' } }) }));
    expect(imported.fields.name).toBe('Bare');
    expect(imported.avatar).toBeUndefined();
    expect(imported.files).toEqual([]);
  });
});

describe('any valid fields survive every format', () => {
  const text = fc.string({ maxLength: 40, unit: 'grapheme' });
  const name = text.filter((s) => s.trim().length > 0);
  // JSON cannot tell -0 from 0, so values are compared after a JSON trip of their own.
  const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);
  const reserved = new Set(['spec', 'spec_version', 'data', 'name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example']);
  const entry = fc.record({ keys: fc.array(text, { maxLength: 3 }), content: text, extensions: jsonObject, enabled: fc.boolean(), insertion_order: fc.integer(), use_regex: fc.boolean() });
  const fields = fc.record(
    {
      name,
      description: text,
      first_mes: text,
      alternate_greetings: fc.array(text, { maxLength: 3 }),
      group_only_greetings: fc.array(text, { maxLength: 2 }),
      tags: fc.array(text, { maxLength: 3 }),
      nickname: text,
      creation_date: fc.integer({ min: 0, max: 2_000_000_000 }),
      extensions: jsonObject,
      character_book: fc.record({ name: text, entries: fc.array(entry, { maxLength: 3 }), extensions: jsonObject }),
      card_extra: fc.record({
        top: jsonObject.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !reserved.has(k)))),
        data: jsonObject.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !CharacterFields.shape[k as keyof typeof CharacterFields.shape]))),
      }),
    },
    { requiredKeys: ['name'] },
  );

  it.each(cardFormats.map((f) => [f]))('through %s', (format) => {
    fc.assert(
      fc.property(fields, (generated) => {
        const input = JSON.parse(JSON.stringify(generated)) as typeof generated; // fast-check builds null-prototype objects
        const expected = importCard(exportCard(input, 'json')).fields;
        expect(expected.extensions).toStrictEqual(input.extensions ?? {});
        expect(expected.card_extra.top ?? {}).toStrictEqual(input.card_extra?.top ?? {});
        expect(expected.card_extra.data ?? {}).toStrictEqual(input.card_extra?.data ?? {});
        expect(expected.character_book?.entries).toStrictEqual(input.character_book?.entries);
        expect(importCard(exportCard(expected, format, { bytes: tinyPng, mime: 'image/png' })).fields).toStrictEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
