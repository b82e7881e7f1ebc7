/**
 * Character cards inside PNG images: the card JSON sits base64-encoded in a tEXt chunk named `chara` (V1/V2)
 * or `ccv3` (V3). Chunk parsing and CRCs are the png-chunks-* libraries' job; this file only decides which
 * chunk holds the card and turns every way a file can be wrong into one clear usage error.
 */
import { deflateSync } from 'node:zlib';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { fail } from '../../../shared/result.std.ts';

type Chunk = { name: string; data: Uint8Array };

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const isPng = (bytes: Uint8Array): boolean => signature.every((b, i) => bytes[i] === b);

/** Preferred first: a V3 reader must take `ccv3` over the V2 copy in `chara`. */
const cardKeywords = ['ccv3', 'chara'] as const;
type CardKeyword = (typeof cardKeywords)[number];
const textChunkTypes = new Set(['tEXt', 'zTXt', 'iTXt']);

/**
 * Walks the chunk lengths before the library does: in a truncated or hostile file a length can point far past
 * the end, and the library would allocate (up to 4 GiB) before noticing.
 */
function checkChunkBounds(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const next = at + 12 + view.getUint32(at);
    if (next > bytes.length) fail('usage', 'The PNG file is cut short or damaged: a chunk runs past the end of the file.');
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === 'IEND') return;
    at = next;
  }
  fail('usage', 'The PNG file is cut short: it has no end marker (IEND chunk).');
}

function readChunks(bytes: Uint8Array): Chunk[] {
  checkChunkBounds(bytes);
  try {
    return extractChunks(bytes);
  } catch (e) {
    return fail('usage', `The PNG file is damaged and cannot be read (${(e as Error).message}).`, { cause: e });
  }
}

/** The keyword of any text chunk (tEXt, zTXt, iTXt all start with "keyword\0"). */
function keywordOf(chunk: Chunk): string {
  const end = chunk.data.indexOf(0);
  return Buffer.from(chunk.data.subarray(0, end < 0 ? chunk.data.length : end)).toString('latin1').toLowerCase();
}

const isCardChunk = (chunk: Chunk): boolean =>
  textChunkTypes.has(chunk.name) && (cardKeywords as readonly string[]).includes(keywordOf(chunk));

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeCardText(keyword: CardKeyword, text: string): string {
  const trimmed = text.trim();
  // A few old tools wrote the JSON itself instead of base64; real readers accept it, so do we.
  const bytes = trimmed.startsWith('{') ? Buffer.from(trimmed, 'latin1') : decodeBase64(keyword, trimmed);
  try {
    return utf8.decode(bytes);
  } catch (e) {
    return fail('usage', `The card in the PNG's "${keyword}" chunk is not valid UTF-8 text.`, { cause: e });
  }
}

function decodeBase64(keyword: CardKeyword, text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  // Buffer.from(…, 'base64') silently skips bad characters, so check the alphabet first.
  if (compact.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
    fail('usage', `The card in the PNG's "${keyword}" chunk is not valid base64.`);
  }
  return Buffer.from(compact, 'base64');
}

export interface PngCard {
  keyword: CardKeyword;
  /** The card's JSON text, still to be parsed. */
  json: string;
  /** The image without its card chunks: the character's avatar. */
  avatar: Uint8Array;
}

export function readPngCard(bytes: Uint8Array): PngCard {
  const chunks = readChunks(bytes);
  const found = new Map<string, Chunk>();
  for (const chunk of chunks) {
    if (chunk.name === 'tEXt' && isCardChunk(chunk) && !found.has(keywordOf(chunk))) found.set(keywordOf(chunk), chunk);
  }
  const keyword = cardKeywords.find((k) => found.has(k));
  if (keyword === undefined) {
    if (chunks.some((c) => c.name === 'eXIf')) {
      fail('usage', 'This picture holds no Tavern character card: its data sits in the photo metadata (EXIF), as Backyard AI images do, which is not a format Mindstage imports.');
    }
    fail('usage', 'This picture holds no character card: it is an ordinary image, not one saved by a character card editor.');
  }
  let text: string;
  try {
    text = pngText.decode(found.get(keyword as CardKeyword) as Chunk).text;
  } catch (e) {
    return fail('usage', `The PNG's "${keyword}" chunk is damaged (it contains a NUL byte).`, { cause: e });
  }
  const json = decodeCardText(keyword as CardKeyword, text);
  return { keyword: keyword as CardKeyword, json, avatar: encodeChunks(chunks.filter((c) => !isCardChunk(c))) };
}

/**
 * Chunks that make up the picture itself (colour, transparency, animation frames). Everything else an image may
 * carry — text chunks such as a generator's `prompt` or `parameters`, EXIF, timestamps, private chunks — is
 * metadata the user did not write into the card, so an exported card drops it unless asked to keep it.
 */
const imageChunks = new Set(['IHDR', 'PLTE', 'IDAT', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'acTL', 'fcTL', 'fdAT']);

/**
 * Writes the given card JSON texts into a PNG: into the avatar when it is a PNG (replacing any card chunks it
 * already carries, and — unless `keepImageMetadata` — any other metadata), otherwise into a placeholder image.
 */
export function writePngCard(avatar: Uint8Array | undefined, cards: ReadonlyArray<{ keyword: CardKeyword; json: string }>, keepImageMetadata = false): Uint8Array {
  const base = avatar !== undefined && isPng(avatar) ? readChunks(avatar) : placeholderChunks();
  const kept = base.filter((c) => !isCardChunk(c) && c.name !== 'IEND' && (keepImageMetadata || imageChunks.has(c.name)));
  const cardChunks = cards.map((c) => pngText.encode(c.keyword, Buffer.from(c.json, 'utf8').toString('base64')));
  return encodeChunks([...kept, ...cardChunks, { name: 'IEND', data: new Uint8Array(0) }]);
}

/** A plain 64×64 slate-blue square, for cards exported without a PNG avatar. */
function placeholderChunks(): Chunk[] {
  const size = 64;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const row = [0, ...Array.from({ length: size }, () => [0x5a, 0x6e, 0x8c]).flat()]; // leading 0: filter "none"
  const pixels = Buffer.from(Array.from({ length: size }, () => row).flat());
  return [
    { name: 'IHDR', data: new Uint8Array(header) },
    { name: 'IDAT', data: new Uint8Array(deflateSync(pixels)) },
    { name: 'IEND', data: new Uint8Array(0) },
  ];
}
