/**
 * Large item signatures, verified on a thread of their own (item-verifier.worker.node.ts). An item's signature
 * covers its whole body, so a forged 16 MiB upload costs more than the hash: building the 16 MiB statement around
 * the body and node:crypto's copy of it for a thread-pool job took 6–90 ms each of the event loop under load (both
 * measured on the development machine; docs/sync-protocol.md, "Under attack"), during which no other device's
 * frame was read. Here the frame's own memory moves to the worker and back (transferred, not copied), so the event
 * loop's share of a large verification is a few small copies and two messages, whatever the body's size.
 */
import { Worker } from 'node:worker_threads';
import { keyFor } from '../shared/sync/ed25519.node.ts';
import type { SignedItem, VerifyAnswer, VerifyJob } from './item-verifier.worker.node.ts';

/** Bodies from this size on are verified on the worker (below it the hop costs more than the hash). */
export const LARGE_STATEMENT_BYTES = 64 * 1024;

export type { SignedItem };

let worker: Worker | null = null;
let nextJob = 1;
const waiting = new Map<number, { resolve: (a: VerifyAnswer) => void; reject: (e: Error) => void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./item-verifier.worker.node.ts', import.meta.url));
  w.on('message', (a: VerifyAnswer) => {
    const p = waiting.get(a.job);
    waiting.delete(a.job);
    // Idle, it must not keep a relay (or a test run) alive.
    if (waiting.size === 0) w.unref();
    p?.resolve(a);
  });
  const fail = (e: Error) => {
    // Once per thread: a failed thread's 'exit' follows its 'error', by when items may wait on the next thread.
    if (worker !== w) return;
    worker = null;
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the item verifier stopped (exit ${code})`)));
  return (worker = w);
}

/**
 * Whether `item.sig` is its device's signature, checked on the worker, one item at a time for the whole relay (so
 * however many forged frames arrive at once they take at most one core between them, in turn). The answer carries
 * the item back: the body in the same memory the frame arrived in (that memory is moved to the worker and back, so
 * views of it the caller kept are empty afterwards), every other byte field copied.
 */
export async function verifyLargeItem(item: SignedItem): Promise<{ ok: boolean; item: SignedItem }> {
  const own = (b: Uint8Array) => b.slice();
  const copy: SignedItem = { ...item, accountId: own(item.accountId), docId: own(item.docId), deviceId: own(item.deviceId), sig: own(item.sig), covers: item.covers.map((c) => ({ ...c, deviceId: own(c.deviceId) })) };
  // Refused here without a hop when libsodium would refuse the key (small order, non-canonical) or the sizes are wrong.
  if (!keyFor(copy.sig, copy.deviceId)) return { ok: false, item: copy };
  // The frame's buffer holds one frame (ws reads a frame larger than a socket read into a buffer of its own); a body
  // in a larger buffer, which may hold other frames, is copied instead.
  const whole = item.body.buffer instanceof ArrayBuffer && item.body.buffer.byteLength <= item.body.byteLength + LARGE_STATEMENT_BYTES;
  const body = whole ? item.body : own(item.body);
  const job = nextJob++;
  const w = theWorker();
  const answer = new Promise<VerifyAnswer>((resolve, reject) => waiting.set(job, { resolve, reject }));
  const message: VerifyJob = { ...copy, body, job };
  try {
    w.postMessage(message, [body.buffer as ArrayBuffer]);
  } catch {
    // A buffer that cannot be moved (Node's pool): sent as a copy.
    try {
      w.postMessage({ ...message, body: own(body) });
    } catch (e) {
      waiting.delete(job);
      throw e;
    }
  }
  // Held while a job waits, so its answer comes even when nothing else keeps the process alive. (Not unref'd once at
  // creation: Node refs a worker again when a 'message' listener is added, so that kept every process alive.)
  w.ref();
  const a = await answer;
  return { ok: a.ok, item: { ...copy, body: a.body } };
}
