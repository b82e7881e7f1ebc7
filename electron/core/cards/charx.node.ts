/**
 * CHARX (Character Card V3 §CHARX): a zip with `card.json` at its root and the card's files, referenced from
 * `data.assets` as `embeded://path` (the spec's spelling). The main icon becomes the avatar; inside Mindstage it
 * is written as `ccdefault:` ("the container's own image"), which is what the same entry means in a PNG card.
 */
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { fail, MindstageError } from '../../../shared/result.std.ts';
import { isObject, parseCardJson } from './spec.node.ts';

export interface CardImage {
  bytes: Uint8Array;
  mime: string;
}
/** A file the card embeds besides its avatar (CHARX only), by its path inside the archive. */
export interface CardFile {
  path: string;
  bytes: Uint8Array;
}

/**
 * Declared sizes are checked before inflating, so a zip bomb is refused instead of filling memory (fflate never
 * inflates past an entry's declared size).
 */
const maxUnpackedBytes = 200 * 1024 * 1024;
const embedded = /^embedd?ed:\/\//;

export const isZip = (bytes: Uint8Array): boolean =>
  bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);

function unzip(bytes: Uint8Array, wanted: (name: string) => boolean): Record<string, Uint8Array> {
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (file) => {
        if (!wanted(file.name)) return false;
        total += file.originalSize;
        if (total > maxUnpackedBytes) fail('usage', 'The CHARX file unpacks to more than 200 MB, which is too large for a character card.');
        return true;
      },
    });
  } catch (e) {
    if (e instanceof MindstageError) throw e; // our own size refusal, thrown from inside the filter
    return fail('usage', 'The CHARX file is not a valid zip archive (it is damaged or cut short).', { cause: e });
  }
}

const pathOf = (uri: string): string => uri.replace(embedded, '').replace(/^\/+/, '');

/** Reads a CHARX archive: its card (parsed JSON, not yet checked), the main icon and the other embedded files. */
export function readCharx(bytes: Uint8Array): { card: unknown; avatar?: CardImage; files: CardFile[] } {
  const cardFile = unzip(bytes, (name) => name === 'card.json')['card.json'];
  if (cardFile === undefined) return fail('usage', 'The zip file is not a CHARX card: it has no card.json at its root.');
  const card = parseCardJson(cardFile, "The CHARX file's card.json");
  const data = isObject(card) ? card.data : undefined;
  const assets = isObject(data) && Array.isArray(data.assets) ? data.assets : [];
  const refs = assets.filter((a): a is Record<string, unknown> => isObject(a) && typeof a.uri === 'string' && embedded.test(a.uri));
  if (refs.length === 0) return { card, files: [] };

  const wanted = new Set(refs.map((a) => pathOf(a.uri as string)));
  const found = unzip(bytes, (name) => wanted.has(name));
  const icon = refs.find((a) => a.type === 'icon' && a.name === 'main') ?? refs.find((a) => a.type === 'icon');
  const iconPath = icon === undefined ? undefined : pathOf(icon.uri as string);
  const iconBytes = iconPath === undefined ? undefined : found[iconPath];
  if (icon !== undefined && iconPath !== undefined && iconBytes !== undefined) {
    icon.uri = 'ccdefault:'; // the same meaning it has in a PNG card: "the image this card came in"
    const files = Object.entries(found).filter(([path]) => path !== iconPath).map(([path, b]) => ({ path, bytes: b }));
    return { card, avatar: { bytes: iconBytes, mime: mimeOf(iconBytes, iconPath) }, files };
  }
  return { card, files: Object.entries(found).map(([path, b]) => ({ path, bytes: b })) };
}

const extByMime: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp', 'image/gif': 'gif', 'image/avif': 'avif',
};

/** The image type from its first bytes (file names lie more often than magic numbers). */
export function mimeOf(bytes: Uint8Array, name = ''): string {
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 4) === 'GIF8') return 'image/gif';
  if (ascii(4, 12) === 'ftypavif') return 'image/avif';
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  const byExt = Object.entries(extByMime).find(([, e]) => e === ext || (ext === 'jpg' && e === 'jpeg'));
  return byExt?.[0] ?? 'application/octet-stream';
}

/**
 * Writes a V3 card object as CHARX. The avatar goes to `assets/icon/images/main.<ext>` and the card's main icon
 * entry (`ccdefault:`) is pointed at it; the other files keep the paths their asset entries already name.
 */
export function writeCharx(card: Record<string, unknown>, avatar: CardImage | undefined, files: readonly CardFile[]): Uint8Array {
  const zip: Zippable = Object.create(null) as Zippable; // paths are data: none may collide with Object.prototype
  const data = isObject(card.data) ? { ...card.data } : {};
  if (avatar !== undefined) {
    const ext = extByMime[avatar.mime] ?? extByMime[mimeOf(avatar.bytes)] ?? 'bin';
    const path = `assets/icon/images/main.${ext}`;
    const assets = Array.isArray(data.assets) ? data.assets.map((a: unknown) => (isObject(a) ? { ...a } : a)) : [];
    const icon = assets.find((a): a is Record<string, unknown> => isObject(a) && a.type === 'icon' && a.uri === 'ccdefault:');
    if (icon === undefined) assets.push({ type: 'icon', uri: `embeded://${path}`, name: 'main', ext });
    else Object.assign(icon, { uri: `embeded://${path}`, ext });
    data.assets = assets;
    zip[path] = [avatar.bytes, { level: 0 }]; // images are already compressed
  }
  for (const file of files) if (!Object.hasOwn(zip, file.path) && file.path !== 'card.json') zip[file.path] = [file.bytes, { level: 0 }];
  zip['card.json'] = strToU8(JSON.stringify({ ...card, data }));
  // A fixed timestamp makes the export a function of the card alone (same card, same bytes).
  return zipSync(zip, { level: 6, mtime: new Date(1980, 0, 1) });
}
