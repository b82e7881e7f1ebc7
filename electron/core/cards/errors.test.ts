// Every way a file can be wrong ends in MindstageError('usage') with a sentence naming the problem.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { strToU8, zipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import type { ErrorCode } from '../../../shared/result.std.ts';
import { exportCard, importCard, maxCardBytes } from './index.node.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures/cards');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(fixtures, name)));
const json = (value: unknown): Uint8Array => strToU8(JSON.stringify(value));

function failure(run: () => unknown): MindstageError {
  try {
    run();
  } catch (e) {
    if (e instanceof MindstageError) return e;
    throw new Error(`expected a MindstageError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected the import to fail, but it succeeded');
}

function expectRefused(run: () => unknown, message: RegExp, code: ErrorCode = 'usage'): void {
  const e = failure(run);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

/** A PNG (the no-card fixture's pixels) carrying the given tEXt chunks. */
function pngWith(texts: Array<[string, string]>): Uint8Array {
  const chunks = extractChunks(read('invalid-no-card-chunk.png'));
  const iend = chunks.pop() as { name: string; data: Uint8Array };
  return encodeChunks([...chunks, ...texts.map(([k, t]) => pngText.encode(k, t)), iend]);
}
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('refusing what is not a card', () => {
  it('refuses truncated PNGs', () => {
    const png = read('v3-ccv3-only-default-chan.png');
    expectRefused(() => importCard(png.subarray(0, png.length - 20)), /PNG file is cut short/);
    expectRefused(() => importCard(png.subarray(0, 5000)), /PNG file is cut short or damaged/);
    expectRefused(() => importCard(png.subarray(0, 8)), /PNG file is cut short: it has no end marker/);
  });

  it('refuses a PNG whose bytes were damaged', () => {
    const png = read('v3-ccv3-only-default-chan.png').slice();
    png[200] = (png[200] ?? 0) ^ 0xff; // inside IDAT: the CRC no longer matches
    expectRefused(() => importCard(png), /PNG file is damaged and cannot be read \(CRC/);
  });

  it('refuses garbage, empty and oversized files', () => {
    expectRefused(() => importCard(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), /not a character card: it is not a PNG image, a JSON file or a CHARX/);
    expectRefused(() => importCard(strToU8('hello'), 'card.png'), /is named \.png, but its content is not that/);
    expectRefused(() => importCard(new Uint8Array(0)), /file is empty/);
    expectRefused(() => importCard(new Uint8Array(maxCardBytes + 1)), /larger than 50 MB/);
  });

  it('refuses a PNG card chunk that is not base64, not JSON or not UTF-8', () => {
    expectRefused(() => importCard(pngWith([['chara', '!!not*base64!!']])), /"chara" chunk is not valid base64/);
    expectRefused(() => importCard(pngWith([['ccv3', b64('{"spec": "chara_card_v3", ')]])), /card in the PNG's "ccv3" chunk is not valid JSON/);
    expectRefused(() => importCard(pngWith([['chara', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64')]])), /"chara" chunk is not valid UTF-8/);
  });

  it('prefers ccv3 over chara, and reads JSON written without base64', () => {
    const png = pngWith([
      ['chara', b64(JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Old' } }))],
      ['ccv3', b64(JSON.stringify({ spec: 'chara_card_v3', spec_version: '3.0', data: { name: 'New' } }))],
    ]);
    expect(importCard(png)).toMatchObject({ spec: 'v3', fields: { name: 'New' } });
    expect(importCard(pngWith([['chara', '{"name":"Raw"}']])).fields.name).toBe('Raw');
  });

  it('refuses zips that are not CHARX cards', () => {
    expectRefused(() => importCard(zipSync({ 'readme.txt': strToU8('hi'), 'assets/x.png': new Uint8Array([1]) })), /zip file is not a CHARX card: it has no card\.json at its root/);
    expectRefused(() => importCard(zipSync({ 'inner/card.json': json({ name: 'Nested' }) })), /no card\.json at its root/);
    const zip = zipSync({ 'card.json': json({ name: 'X' }) });
    expectRefused(() => importCard(zip.subarray(0, zip.length - 10)), /CHARX file is not a valid zip archive/);
    expectRefused(() => importCard(zipSync({ 'card.json': strToU8('{"spec":') })), /CHARX file's card\.json is not valid JSON/);
  });

  it('refuses JSON that is not valid or not a card', () => {
    expectRefused(() => importCard(strToU8('{"name": "Broken",')), /JSON file is not valid JSON \(error at character \d+\)/);
    expectRefused(() => importCard(json({ description: 'no name here' })), /card has no character name/);
    expectRefused(() => importCard(json({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: '  ' } })), /no character name/);
    expectRefused(() => importCard(json({ spec: 'chara_card_v2', spec_version: '2.0' })), /V2 card has no "data" object/);
    expectRefused(() => importCard(json({ spec: 'something_else', name: 'X' })), /not a character card: its "spec" is not chara_card_v2/);
    expectRefused(() => importCard(json({ spec: 'chara_card_v9', data: { name: 'X' } })), /"chara_card_v9", which is newer/, 'unsupported');
  });

  it('refuses known fields of the wrong type, naming the field', () => {
    const v2 = (data: Record<string, unknown>): Uint8Array => json({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Typed', ...data } });
    expectRefused(() => importCard(v2({ description: 42 })), /field "data\.description" is invalid: .*expected string/);
    expectRefused(() => importCard(v2({ tags: 'a,b' })), /field "data\.tags" is invalid/);
    expectRefused(() => importCard(v2({ extensions: [1, 2] })), /field "data\.extensions" is invalid/);
    expectRefused(() => importCard(v2({ character_book: { entries: [{ keys: 'x', content: 'y' }] } })), /field "data\.character_book\.entries\.0\.keys" is invalid/);
    expectRefused(() => importCard(json({ name: 'V1', first_mes: ['not', 'text'] })), /field "first_mes" is invalid/);
    expectRefused(() => importCard(v2({ name: 'x'.repeat(1001) })), /field "data\.name" is invalid: must be at most 1000/);
  });

  it('refuses to export fields that are not valid', () => {
    expectRefused(() => exportCard({ name: '' }, 'json'), /cannot be exported: its field "name" is invalid/);
  });
});

describe('never a raw exception', () => {
  const small = read('v3-ccv3-only-default-chan.png');
  const charx = exportCard(importCard(small).fields, 'charx', importCard(small).avatar);

  /** Import either succeeds or fails with a usage/unsupported MindstageError. */
  function importsOrRefuses(bytes: Uint8Array): void {
    try {
      importCard(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(MindstageError);
      expect(['usage', 'unsupported']).toContain((e as MindstageError).code);
    }
  }

  it('on damaged and truncated PNG and CHARX files', () => {
    for (const original of [small, charx]) {
      fc.assert(
        fc.property(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, truncate) => {
          const bytes = truncate ? original.subarray(0, at) : original.slice();
          if (!truncate) bytes[at] = (bytes[at] ?? 0) ^ xor;
          importsOrRefuses(bytes);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('on arbitrary JSON, and on cards whose fields hold arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => importsOrRefuses(json(value))), { numRuns: 300 });
    const keys = ['name', 'description', 'tags', 'alternate_greetings', 'character_book', 'extensions', 'assets', 'creation_date', 'source'];
    fc.assert(
      fc.property(fc.constantFrom('chara_card_v2', 'chara_card_v3'), fc.dictionary(fc.constantFrom(...keys), fc.jsonValue()), (spec, data) => {
        importsOrRefuses(json({ spec, data: { name: 'Fuzz', ...data } }));
        importsOrRefuses(json({ spec, data: { name: 'Fuzz', character_book: { entries: [data] } } }));
      }),
      { numRuns: 300 },
    );
  });
});
