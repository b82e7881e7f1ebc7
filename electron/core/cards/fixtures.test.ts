// Real cards from public repositories (see ../shared/fixtures/cards/SOURCES.md): import, then round trips.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import extractChunks from 'png-chunks-extract';
import * as pngText from 'png-chunk-text';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { cardFormats, exportCard, importCard } from './index.node.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures/cards');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(fixtures, name)));
const valid = ['v2-hybrid-seraphina.png', 'v2-pure-melina.png', 'v3-ccv3-only-default-chan.png'];

/** The card chunks of a PNG, decoded, by keyword. */
function cardChunks(png: Uint8Array): Array<{ keyword: string; card: Record<string, unknown> }> {
  return extractChunks(png)
    .filter((c) => c.name === 'tEXt')
    .map((c) => pngText.decode(c))
    .filter((t) => t.keyword === 'chara' || t.keyword === 'ccv3')
    .map((t) => ({ keyword: t.keyword, card: JSON.parse(Buffer.from(t.text, 'base64').toString('utf8')) as Record<string, unknown> }));
}

describe('importing the fixture cards', () => {
  it('reads the hybrid V2 Seraphina card with its lorebook, extensions and top-level extras', () => {
    const card = importCard(read('v2-hybrid-seraphina.png'), 'default_Seraphina.png');
    expect(card.spec).toBe('v2');
    const f = card.fields;
    expect(f.name).toBe('Seraphina');
    expect(f.creator).toBe('OtisAlejandro');
    expect(f.character_version).toBe('1.0.0');
    expect(f.creator_notes).toBe('ST Default Bot contest winner: roleplay bots category');
    expect(f.description).toMatch(/^\[Seraphina's Personality= "caring"/);
    expect(f.description).toHaveLength(2851);
    expect(f.first_mes).toHaveLength(785);
    expect(f.extensions).toEqual({ talkativeness: '0.5', fav: false, world: 'Eldoria' });
    expect(f.character_book?.name).toBe('Eldoria');
    expect(f.character_book?.entries).toHaveLength(4);
    expect(f.character_book?.entries.map((e) => e.keys)).toEqual([
      ['eldoria', 'wood', 'forest', 'magical forest'],
      ['shadowfang', 'beast', 'monster', 'monsters', 'beasts'],
      ['glade', 'safe haven', 'refuge'],
      ['power', 'magic', 'ability'],
    ]);
    const first = f.character_book?.entries[0];
    expect(first?.position).toBe('before_char');
    expect(first?.insertion_order).toBe(100);
    expect(first?.extensions).toEqual({ position: 0, probability: null, useProbability: false });
    expect(first?.use_regex).toBe(false); // V2 has no use_regex; its meaning is filled in
    expect(f.card_extra.top).toEqual({
      avatar: 'none',
      chat: 'Seraphina - 2023-5-12 @21h 32m 29s 224ms',
      create_date: '2023-5-12 @21h 32m 29s 228ms',
      talkativeness: '0.5',
      fav: false,
      creatorcomment: 'ST Default Bot contest winner: roleplay bots category',
    });
    expect([...(f.card_extra.v1_copies as string[])].sort()).toEqual(['description', 'first_mes', 'mes_example', 'name', 'personality', 'scenario']);
    expect(card.avatar?.mime).toBe('image/png');
    expect(cardChunks(card.avatar?.bytes ?? new Uint8Array())).toEqual([]); // the avatar no longer carries the card
  });

  it('reads the pure V2 Melina card, keeping its non-standard data.avatar', () => {
    const { spec, fields: f } = importCard(read('v2-pure-melina.png'));
    expect(spec).toBe('v2');
    expect(f.name).toBe('Melina');
    expect(f.tags).toEqual(['Human', 'Female', 'Video Game', 'Adventure']);
    expect(f.creator_notes).toBe('Melina from Elden Ring');
    expect(f.character_version).toBe('1.0');
    expect(f.character_book).toBeUndefined();
    expect(f.extensions).toEqual({ depth_prompt: {}, pygmalion_id: '14c38904-58f7-4038-bac7-4a18d41abe03' });
    expect(f.card_extra).toEqual({ data: { avatar: 'https://assets.pygmalion.chat/8a302866-cffa-499d-aecc-f18cf2c1a38c' } });
  });

  it('reads the ccv3-only Default-chan card although it lacks group_only_greetings', () => {
    const { spec, fields: f } = importCard(read('v3-ccv3-only-default-chan.png'));
    expect(spec).toBe('v3');
    expect(f.name).toBe('Default-chan');
    expect(f.creator).toBe('Choral');
    expect(f.personality).toBe('Cheerful, helpful, patient, enthusiastic, warm, approachable, solution-focused');
    expect(f.alternate_greetings).toHaveLength(2);
    expect(f.alternate_greetings[0]).toMatch(/^\*Default-chan is sitting cross-legged/);
    expect(f.group_only_greetings).toEqual([]);
    expect(f.tags).toEqual(['Cute', 'Girlfriend', 'Cozy', 'Interactive Simulation', 'Video Games']);
    expect(f.character_book).toBeUndefined();
    expect(f.card_extra).toEqual({});
  });

  it.each([
    ['invalid-no-card-chunk.png', /no character card: it is an ordinary image/],
    ['invalid-backyard-exif.png', /no Tavern character card.*metadata \(EXIF\), as Backyard AI images do/],
  ])('refuses %s with a message naming the problem', (name, message) => {
    let caught: unknown;
    try {
      importCard(read(name), name);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MindstageError);
    expect((caught as MindstageError).code).toBe('usage');
    expect((caught as MindstageError).message).toMatch(message);
  });
});

describe('round trips of every fixture', () => {
  for (const name of valid) {
    it.each(cardFormats.map((f) => [f]))(`${name} through %s keeps every field, extension and extra`, (format) => {
      const first = importCard(read(name));
      const bytes = exportCard(first.fields, format, first.avatar);
      const again = importCard(bytes);
      expect(again.spec).toBe('v3');
      expect(again.fields).toStrictEqual(first.fields);
      if (format === 'json') expect(again.avatar).toBeUndefined();
      else expect(again.avatar).toStrictEqual(first.avatar); // same image bytes back
      // …and a second trip is byte-identical: export is a function of the fields alone.
      expect(exportCard(again.fields, format, again.avatar)).toStrictEqual(bytes);
    });
  }

  it('writes unknown fields back where they were found', () => {
    const seraphina = importCard(read('v2-hybrid-seraphina.png')).fields;
    const json = JSON.parse(new TextDecoder().decode(exportCard(seraphina, 'json'))) as Record<string, Record<string, unknown>>;
    expect(json.spec).toBe('chara_card_v3');
    expect(json.spec_version).toBe('3.0');
    expect(json.talkativeness).toBe('0.5');
    expect(json.creatorcomment).toBe('ST Default Bot contest winner: roleplay bots category');
    expect(json.name).toBe('Seraphina'); // the V1 copy, regenerated
    expect(json.data?.extensions).toEqual({ talkativeness: '0.5', fav: false, world: 'Eldoria' });
    expect(json.data?.group_only_greetings).toEqual([]);

    const melina = importCard(read('v2-pure-melina.png')).fields;
    const mj = JSON.parse(new TextDecoder().decode(exportCard(melina, 'json'))) as Record<string, Record<string, unknown>>;
    expect(mj.data?.avatar).toBe('https://assets.pygmalion.chat/8a302866-cffa-499d-aecc-f18cf2c1a38c');
    expect(mj.avatar).toBeUndefined();
    expect(Object.keys(mj).sort()).toEqual(['data', 'spec', 'spec_version']); // a pure card stays pure
  });

  it('regenerates V1 copies from the edited fields instead of keeping stale ones', () => {
    const seraphina = importCard(read('v2-hybrid-seraphina.png')).fields;
    const edited = { ...seraphina, description: 'A healer in a glade.' };
    const json = JSON.parse(new TextDecoder().decode(exportCard(edited, 'json'))) as Record<string, Record<string, unknown>>;
    expect(json.description).toBe('A healer in a glade.');
    expect(json.data?.description).toBe('A healer in a glade.');
  });

  it('PNG export holds a V2 chara and a V3 ccv3 chunk, replacing the ones in the avatar', () => {
    const original = read('v2-hybrid-seraphina.png');
    const { fields } = importCard(original);
    // Give it the original file (with its old chara chunk) as the avatar: exactly one chunk of each must remain.
    const png = exportCard(fields, 'png', { bytes: original, mime: 'image/png' });
    const chunks = cardChunks(png);
    expect(chunks.map((c) => c.keyword).sort()).toEqual(['ccv3', 'chara']);
    const v2 = chunks.find((c) => c.keyword === 'chara')?.card as Record<string, Record<string, unknown>>;
    const v3 = chunks.find((c) => c.keyword === 'ccv3')?.card as Record<string, Record<string, unknown>>;
    expect([v2.spec, v2.spec_version]).toEqual(['chara_card_v2', '2.0']);
    expect([v3.spec, v3.spec_version]).toEqual(['chara_card_v3', '3.0']);
    expect(v2.name).toBe('Seraphina'); // V1 readers still find the essentials
    expect(v2.data?.character_book).toEqual(v3.data?.character_book);
    expect(v2.data?.group_only_greetings).toBeUndefined(); // V3-only fields stay in ccv3
    expect(extractChunks(png).filter((c) => c.name === 'IDAT').map((c) => c.data.length)).toEqual([511505]);
  });

  it('PNG export without a PNG avatar writes a valid placeholder image', () => {
    const { fields } = importCard(read('v3-ccv3-only-default-chan.png'));
    for (const avatar of [undefined, { bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), mime: 'image/jpeg' }]) {
      const png = exportCard(fields, 'png', avatar);
      const chunks = extractChunks(png); // throws on a bad CRC or a missing IEND
      expect(chunks[0]?.name).toBe('IHDR');
      expect(chunks.some((c) => c.name === 'IDAT')).toBe(true);
      expect(importCard(png).fields).toStrictEqual(fields);
    }
  });

  it('CHARX export puts card.json at the root and the avatar under assets/', () => {
    const first = importCard(read('v2-pure-melina.png'));
    const files = unzipSync(exportCard(first.fields, 'charx', first.avatar));
    expect(Object.keys(files).sort()).toEqual(['assets/icon/images/main.png', 'card.json']);
    expect(files['assets/icon/images/main.png']).toStrictEqual(first.avatar?.bytes);
    const card = JSON.parse(new TextDecoder().decode(files['card.json'])) as { spec: string; data: { assets: unknown } };
    expect(card.spec).toBe('chara_card_v3');
    expect(card.data.assets).toEqual([{ type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' }]);
  });
});
