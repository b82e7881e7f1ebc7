/**
 * Binary assets (avatars, card images): one envelope per asset, bound to its id, holding mime type and bytes.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { openEnvelope, sealEnvelope } from '../crypto/envelope.node.ts';
import { fromHex, randomBytes, toHex } from '../crypto/sodium.node.ts';
import type { VaultSession } from '../session.node.ts';

export interface Asset {
  mime: string;
  bytes: Uint8Array;
}

export const MAX_ASSET_BYTES = 20 * 1024 * 1024;

const binding = (s: VaultSession, id: Uint8Array) => ({ vaultId: s.vault.vaultId, docId: id, kind: 'asset' as const, part: 'asset' as const, seq: 0 });

/** Stores an asset under a new id (or the given one, when importing) and returns the id. */
export function putAsset(s: VaultSession, asset: Asset, assetId?: string): string {
  if (asset.bytes.length > MAX_ASSET_BYTES) throw new MindstageError('usage', `The image is too large (over ${MAX_ASSET_BYTES / 1024 / 1024} MB).`);
  if (assetId !== undefined && !/^[0-9a-f]{32}$/.test(assetId)) throw new MindstageError('usage', `${assetId} is not an asset id.`);
  const id = assetId === undefined ? randomBytes(16) : fromHex(assetId);
  const mime = new TextEncoder().encode(asset.mime);
  const plain = new Uint8Array(1 + mime.length + asset.bytes.length);
  plain[0] = mime.length;
  plain.set(mime, 1);
  plain.set(asset.bytes, 1 + mime.length);
  s.storage.putAsset(id, sealEnvelope(s.vault.atRest, plain, binding(s, id)));
  return toHex(id);
}

export function getAsset(s: VaultSession, assetId: string): Asset {
  if (!/^[0-9a-f]{32}$/.test(assetId)) throw new MindstageError('usage', `${assetId} is not an asset id.`);
  const id = fromHex(assetId);
  const body = s.storage.getAsset(id);
  if (!body) throw new MindstageError('not_found', `No asset with id ${assetId}.`);
  const plain = openEnvelope(s.vault.atRest, body, binding(s, id), `asset ${assetId}`);
  const len = plain[0]!;
  return { mime: new TextDecoder().decode(plain.subarray(1, 1 + len)), bytes: plain.slice(1 + len) };
}

export function deleteAsset(s: VaultSession, assetId: string): void {
  if (/^[0-9a-f]{32}$/.test(assetId)) s.storage.deleteAsset(fromHex(assetId));
}
