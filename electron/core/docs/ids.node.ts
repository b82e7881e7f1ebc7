/** Record and message ids, and the storage ids of the vault's well-known documents. */
import { keyedHash, randomBytes, toBase64, toHex, fromHex } from '../crypto/sodium.node.ts';
import type { RecordKind } from '../../../shared/domain.std.ts';
import type { DocRef } from './doc-store.node.ts';

export const newRecordId = (): string => toHex(randomBytes(16));
/** Message and alternative ids: short, unique within a conversation and across devices. */
export const newItemId = (): string => toBase64(randomBytes(12));
/** Many item ids at once (an import): one draw from the system's random source instead of one per id. */
export function newItemIds(count: number): string[] {
  const pool = Buffer.from(randomBytes(12 * count));
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = pool.toString('base64url', i * 12, i * 12 + 12);
  return out;
}

export function recordRef(id: string, kind: RecordKind): DocRef {
  return { storageId: fromHex(id), kind, recordId: id };
}

export type SystemDoc = 'catalog' | 'settings' | 'ledger';

/** Well-known documents get ids derived from the vault's id-hashing key, so they look like any other row. */
export function systemRef(idKey: Uint8Array, name: SystemDoc): DocRef {
  return { storageId: keyedHash(idKey, `mindstage.system.${name}`, 16), kind: name, recordId: name };
}
