/**
 * The relay's thread for large item signatures (item-verifier.node.ts): it builds the signed statement around the
 * body and verifies it, then hands the body back. Everything that scales with the body's size happens here, none of
 * it on the relay's event loop.
 */
import { verify, type KeyObject } from 'node:crypto';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { ed25519KeyObject, KEY_CACHE_LIMIT } from '../shared/sync/ed25519-key.node.ts';
import type { CoverRange } from '../shared/sync/messages.std.ts';
import { itemStatement } from '../shared/sync/signing.std.ts';

/** An item as its device signed it (body included): what the verifier checks. */
export interface SignedItem {
  kind: 'update' | 'snapshot' | 'tombstone';
  accountId: Uint8Array;
  docId: Uint8Array;
  deviceId: Uint8Array;
  deviceSeq: number;
  body: Uint8Array;
  covers: CoverRange[];
  sig: Uint8Array;
}

export type VerifyJob = SignedItem & { job: number };

export interface VerifyAnswer {
  job: number;
  ok: boolean;
  body: Uint8Array;
}

const keys = new Map<string, KeyObject>();

/**
 * Made here from the 32 bytes (a KeyObject sent from the event loop costs it a serialisation); the caller checked the
 * key. Kept per device, at most KEY_CACHE_LIMIT.
 */
export function keyOf(publicKey: Uint8Array): KeyObject {
  const hex = Buffer.from(publicKey).toString('hex');
  let k = keys.get(hex);
  if (!k) {
    if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
    keys.set(hex, (k = ed25519KeyObject(publicKey)));
  }
  return k;
}

/** How many device keys the thread holds (for tests of the bound). */
export const keptKeys = (): number => keys.size;

/** One job's answer: whether the signature holds, and the body to hand back. Exported to be tested in process. */
export function answerJob(j: VerifyJob): VerifyAnswer {
  let ok: boolean;
  try {
    ok = verify(null, itemStatement(j), keyOf(j.deviceId), j.sig);
  } catch {
    ok = false;
  }
  return { job: j.job, ok, body: j.body };
}

/** Answers the jobs that arrive on `port`: the verifier thread's parentPort, or a test's channel. */
export function serve(port: MessagePort | null): void {
  // Null when imported outside a thread (a test, which runs in a process of its own).
  port?.on('message', (j: VerifyJob) => {
    const answer = answerJob(j);
    // The body goes back to the event loop without a copy, to be stored when the signature held.
    port.postMessage(answer, [answer.body.buffer as ArrayBuffer]);
  });
}

serve(parentPort);
