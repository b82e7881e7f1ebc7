/**
 * Character card import and export (Character Card V1/V2/V3 as PNG, JSON or CHARX). Pure functions over bytes:
 * storing the fields and the avatar (encrypted) is the caller's business.
 *
 *   importCard(bytes, fileName?)            -> { spec, fields, avatar?, files }
 *   exportCard(fields, format, avatar?, files?) -> bytes of a .png, .json or .charx file
 *
 * Every way an input can be wrong ends in MindstageError('usage') with one sentence naming the problem.
 */
import type { CharacterFields, CharacterInput } from '../../../shared/domain.std.ts';
import { CharacterFields as CharacterFieldsSchema } from '../../../shared/domain.std.ts';
import { fail } from '../../../shared/result.std.ts';
import { isZip, readCharx, writeCharx } from './charx.node.ts';
import type { CardFile, CardImage } from './charx.node.ts';
import { isPng, readPngCard, writePngCard } from './png.node.ts';
import { cardToFields, fieldsToV2, fieldsToV3, parseCardJson } from './spec.node.ts';
import type { CardSpec } from './spec.node.ts';

export type { CardFile, CardImage, CardSpec };
export type CardFormat = 'png' | 'json' | 'charx';
export const cardFormats: readonly CardFormat[] = ['png', 'json', 'charx'];

export interface ImportedCard {
  /** The card's own version (what it was written as, not what Mindstage stores). */
  spec: CardSpec;
  fields: CharacterFields;
  /** PNG cards: the image itself, without its card chunks. CHARX: the main icon. */
  avatar?: CardImage;
  /** CHARX only: other embedded files (backgrounds, emotions…), for exportCard to write back. */
  files: CardFile[];
}

/** Real cards are well under a few MB; the bound only keeps a wrong file from exhausting memory. */
export const maxCardBytes = 50 * 1024 * 1024;

export function importCard(bytes: Uint8Array, fileName?: string): ImportedCard {
  if (bytes.length > maxCardBytes) fail('usage', 'The file is larger than 50 MB, which is too large for a character card.');
  if (bytes.length === 0) fail('usage', 'The file is empty.');
  if (isPng(bytes)) {
    const png = readPngCard(bytes);
    const card = parseCardJson(png.json, `The card in the PNG's "${png.keyword}" chunk`);
    return { ...cardToFields(card), avatar: { bytes: png.avatar, mime: 'image/png' }, files: [] };
  }
  if (isZip(bytes)) {
    const charx = readCharx(bytes);
    return { ...cardToFields(charx.card), ...(charx.avatar === undefined ? {} : { avatar: charx.avatar }), files: charx.files };
  }
  if (looksLikeJson(bytes)) return { ...cardToFields(parseCardJson(bytes, 'The JSON file')), files: [] };
  // The extension only sharpens the message; the name itself stays out of errors (and so out of logs).
  const ext = /\.(png|json|charx|zip)$/i.exec(fileName ?? '')?.[1]?.toLowerCase();
  const claimed = ext === undefined ? '' : ` (it is named .${ext}, but its content is not that)`;
  return fail('usage', `The file is not a character card: it is not a PNG image, a JSON file or a CHARX (zip) archive${claimed}.`);
}

/**
 * Writes a card. JSON and CHARX hold V3; PNG holds both a V2 `chara` chunk (for older apps) and a V3 `ccv3`
 * chunk, inside the avatar when it is a PNG and inside a generated placeholder image otherwise. The avatar's other
 * metadata (text chunks such as an image generator's prompt, EXIF…) is dropped unless `keepImageMetadata`.
 * `fields` may be a stored Character: ids, timestamps and `avatar_asset` are not card fields and are left out.
 */
export function exportCard(fields: CharacterInput, format: CardFormat, avatar?: CardImage, files: readonly CardFile[] = [], options: { keepImageMetadata?: boolean } = {}): Uint8Array {
  const parsed = CharacterFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('usage', `The character cannot be exported: its field "${issue?.path.join('.') ?? ''}" is invalid (${issue?.message ?? 'unexpected value'}).`);
  }
  const v3 = fieldsToV3(parsed.data);
  switch (format) {
    case 'json':
      return new TextEncoder().encode(JSON.stringify(v3, null, 2));
    case 'charx':
      return writeCharx(v3, avatar, files);
    case 'png':
      return writePngCard(avatar?.mime === 'image/png' ? avatar.bytes : undefined, [
        { keyword: 'chara', json: JSON.stringify(fieldsToV2(parsed.data)) },
        { keyword: 'ccv3', json: JSON.stringify(v3) },
      ], options.keepImageMetadata);
    default:
      return fail('usage', `Unknown card format "${String(format)}": use png, json or charx.`);
  }
}

function looksLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b; // '{'
}
