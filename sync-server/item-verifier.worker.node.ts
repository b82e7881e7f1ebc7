/**
 * The relay's thread for large item signatures (item-verifier.node.ts): it builds the signed statement around the
 * body and verifies it, then hands the body back. Everything that scales with the body's size happens here, none of
 * it on the relay's event loop.
 */
import { verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { CoverRange } from '../shared/sync/messages.std.ts';
import { itemStatement } from '../shared/sync/signing.std.ts';

export interface VerifyJob {
  job: number;
  key: KeyObject;
  sig: Uint8Array;
  kind: 'update' | 'snapshot' | 'tombstone';
  accountId: Uint8Array;
  docId: Uint8Array;
  deviceId: Uint8Array;
  deviceSeq: number;
  body: Uint8Array;
  covers: CoverRange[];
}

export interface VerifyAnswer {
  job: number;
  ok: boolean;
  body: Uint8Array;
}

parentPort!.on('message', (j: VerifyJob) => {
  let ok: boolean;
  try {
    ok = verify(null, itemStatement(j), j.key, j.sig);
  } catch {
    ok = false;
  }
  const answer: VerifyAnswer = { job: j.job, ok, body: j.body };
  // The body goes back to the event loop without a copy, to be stored when the signature held.
  parentPort!.postMessage(answer, [j.body.buffer as ArrayBuffer]);
});
