/** Sealed payloads shaped like a device's: ciphertext envelopes from the core's own sealing, signed as items. */
import { openEnvelope, sealEnvelope } from '../../../electron/core/crypto/envelope.node.ts';
import { encodeMessage, type Item } from '../../../shared/sync/messages.std.ts';
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import { sodium, verify } from '../../support/relay-client.node.ts';
import type { DeviceKeys } from './light-client.node.ts';

export interface SealKey {
  vaultId: Uint8Array;
  key: Uint8Array;
}
export const newSealKey = (): SealKey => ({ vaultId: sodium.randombytes_buf(16), key: sodium.randombytes_buf(32) });

/** The store's envelope binding for a relay document id: its first 16 bytes stand for the record's storage id. */
export const binding = (k: SealKey, docId: Uint8Array, seq: number) => ({ vaultId: k.vaultId, docId: docId.subarray(0, 16), kind: 'conversation' as const, part: 'update' as const, seq });

/** A small edit (~150 bytes of Yjs update) sealed as the store seals it: about 200 bytes on the wire. */
export function smallSealedUpdate(k: SealKey, docId: Uint8Array, seq: number): Uint8Array {
  const plain = new Uint8Array(150);
  for (let i = 0; i < plain.length; i++) plain[i] = (seq * 31 + i * 7) & 0xff;
  return sealEnvelope(k.key, plain, binding(k, docId, seq));
}

/** A complete, signed upload frame, built ahead of time so the load loop only has to send bytes. */
export function uploadFrame(device: DeviceKeys, a: { id: number; docId: Uint8Array; deviceSeq: number; body: Uint8Array }): Uint8Array {
  const sig = sodium.crypto_sign_detached(itemStatement({ kind: 'update', accountId: device.accountId, deviceId: device.deviceId, docId: a.docId, deviceSeq: a.deviceSeq, body: a.body }), device.secretKey);
  return encodeMessage({ t: 'upload', id: a.id, docId: a.docId, deviceId: device.deviceId, deviceSeq: a.deviceSeq, body: a.body, sig });
}

/**
 * What a receiving device must do before it may apply a pushed item — check the writer's signature and open the
 * envelope — then `arrived(now)`. Throws on an item that does not verify.
 */
export function checkedPush(accountId: Uint8Array, seal: SealKey, arrived: (at: number) => void): (item: Item) => void {
  return (item) => {
    const ok = item.body !== undefined && verify(item.sig, itemStatement({ kind: item.kind, accountId, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body }), item.deviceId);
    if (!ok) throw new Error('a pushed item did not verify');
    openEnvelope(seal.key, item.body!, binding(seal, item.docId, item.deviceSeq), 'bench');
    arrived(performance.now());
  };
}
