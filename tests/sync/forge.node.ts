/**
 * Forging relay items with a device's REAL keys, so a test reaches the checks that come after the signature and
 * the AEAD (a relay alone cannot get past those; a device key that signs what it should not — a bug, a stolen key,
 * a removed device — can). Every forged item is sealed under the device's current content key and signed by its
 * device key exactly as the outbox would, then differs from an honest item in the one way the test names.
 */
import * as Y from 'yjs';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import type { Item } from '../../shared/sync/messages.std.ts';
import { toHex } from '../../electron/core/crypto/sodium.node.ts';
import { docKindCodes } from '../../electron/core/crypto/envelope.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { chainHash, openBody, sealBody, ZERO_HASH, type ChainHead } from '../../electron/core/sync/format.node.ts';
import { contentKey, keyFor } from '../../electron/core/sync/keyring.node.ts';
import type { Replica } from '../../electron/core/sync/replica.node.ts';

export interface Forged {
  /** The device whose real keys seal and sign. */
  by: Replica;
  /** The relay document it is filed under (outer docId, in the AD and the signature). */
  docId: Uint8Array;
  kind: 'update' | 'snapshot' | 'tombstone';
  deviceSeq: number;
  serverSeq: number;
  /** Sealed inside (content items only). */
  inner?: { storageId: Uint8Array; kindCode?: number; docSeq: number; prevHash: Uint8Array; heads?: ChainHead[]; payload: Uint8Array };
  covers?: Item['covers'];
}

export function forge(f: Forged): Item {
  const r = f.by;
  const accountId = r.keys.accountId;
  const deviceId = r.device.publicKey;
  let body: Uint8Array | undefined;
  if (f.kind !== 'tombstone') {
    const i = f.inner!;
    const { epoch, key } = contentKey(r);
    body = sealBody(key, epoch, accountId, {
      type: f.kind,
      deviceId,
      deviceSeq: f.deviceSeq,
      docId: f.docId,
      kindCode: i.kindCode ?? docKindCodes.character,
      storageId: i.storageId,
      docSeq: i.docSeq,
      prevHash: i.prevHash,
      heads: i.heads ?? [],
      payload: i.payload,
    });
  }
  const covers = f.covers ?? [];
  const sig = r.device.sign(itemStatement({ kind: f.kind, accountId, docId: f.docId, deviceId, deviceSeq: f.deviceSeq, body, covers })) as Uint8Array;
  return { kind: f.kind, serverSeq: f.serverSeq, docId: f.docId, deviceId, deviceSeq: f.deviceSeq, ...(body ? { body } : {}), covers, sig };
}

/**
 * Where a device's hash chain in one relay document stands, read from items the relay sent (opened with `reader`'s
 * keys): the next honest item of that device would carry docSeq + 1 and prevHash = hash.
 */
export function chainTip(reader: Replica, seen: Item[], docId: Uint8Array, deviceId: Uint8Array): ChainHead {
  let tip: ChainHead = { deviceId, docSeq: 0, deviceSeq: 0, hash: ZERO_HASH };
  for (const i of seen) {
    if (toHex(i.docId) !== toHex(docId) || toHex(i.deviceId) !== toHex(deviceId) || i.kind === 'tombstone') continue;
    const o = openBody((e) => keyFor(reader, e), reader.keys.accountId, i);
    if (o.ok && o.inner.docSeq > tip.docSeq) tip = { deviceId, docSeq: o.inner.docSeq, deviceSeq: i.deviceSeq, hash: chainHash(reader.keys.accountId, i) };
  }
  return tip;
}

/**
 * A Yjs update that writes `fields` on top of `doc`'s current state (as another client), so a device that holds
 * that state shows the fields once the update is applied. `full`: the whole resulting state (a snapshot payload).
 */
export function fieldsUpdate(doc: Y.Doc, fields: Record<string, unknown>, full = false): Uint8Array {
  const clone = new Y.Doc();
  Y.applyUpdate(clone, Y.encodeStateAsUpdate(doc));
  const sv = Y.encodeStateVector(clone);
  writeFields(clone, fields);
  return full ? Y.encodeStateAsUpdate(clone) : Y.encodeStateAsUpdate(clone, sv);
}
