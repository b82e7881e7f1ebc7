/**
 * Worker thread of cli/kek-ahead.node.ts: one Argon2id derivation, so the main thread can load the core meanwhile.
 * Posts the key (its buffer moved, not copied), or null when deriveKek refuses the parameters; the core then
 * derives, validates and reports errors exactly as without it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deriveKek, type KdfParams } from '../crypto/sodium.node.ts';

const { passphrase, kdf } = workerData as { passphrase: string; kdf: KdfParams };
let kek: Uint8Array | null;
try {
  kek = deriveKek(passphrase, kdf);
} catch {
  kek = null;
}
parentPort!.postMessage(kek, kek ? [kek.buffer as ArrayBuffer] : []);
