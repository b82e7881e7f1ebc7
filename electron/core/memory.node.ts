/**
 * What the core does so that locking leaves no key and as little decrypted text as it can in its memory (issue 15;
 * tests/security/memory-scan.test.ts reads the process's memory after lock).
 *
 * Keys are zeroed in place by UnlockedVault.lock(); libsodium's heap and stack by scrubSodium(). Decrypted text
 * lives in JavaScript strings, which cannot be zeroed: after the session drops its documents, full garbage
 * collections run with V8's --clear-free-memory and --zero-unused-memory (freed heap is overwritten with zeros),
 * and a deep recursion overwrites the native stack below the current frame, where parsing and encoding leave copies. Caches outside V8's
 * heap that keep the last text they saw are overwritten by name (lib0's string buffer, below).
 */
import { createEncoder, writeVarString } from 'lib0/encoding';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scrubSodium } from './crypto/sodium.node.ts';

setFlagsFromString('--clear-free-memory');
setFlagsFromString('--expose-gc');
/** V8's gc extension; `last-resort` is its memory-reducing collection (Heap::CollectAllAvailableGarbage). */
const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync'; flavor?: 'regular' | 'last-resort' }) => void;
setFlagsFromString('--no-expose-gc');

/** Uses about `depth` frames of native stack, each with a few locals, and returns a value so it is not optimised out. */
function overwriteStack(depth: number): number {
  const pad = [depth, depth + 1, depth + 2, depth + 3];
  return depth <= 0 ? 0 : (pad[depth & 3]! & 1) + overwriteStack(depth - 1);
}

/**
 * lib0 (Yjs's encoder) writes every string shorter than 10,000 characters through one module-level 30,000-byte
 * buffer (`_strBuffer` in lib0/encoding.js), so the last string a document encoded — a message, as JSON — stays in
 * the malloc heap for the life of the process. A string goes through it only when shorter than 10,000 UTF-16 units,
 * at most 3 bytes each, so encoding 9,999 three-byte characters overwrites every byte such a string can reach.
 */
function scrubLib0(): void {
  writeVarString(createEncoder(), '\u0800'.repeat(9_999));
}

/** Run on lock, after the session has dropped its keys and documents. */
export function scrubAfterLock(): void {
  scrubSodium();
  scrubLib0();
  // One memory-reducing collection: V8's last-resort one repeats full collections (at least two) until one frees
  // nothing more, so what finalizers and weak maps release is collected within it; a second one doubled the cost
  // and found nothing more (docs/security.md "Memory after lock"). --clear-free-memory clears what dies in the
  // young generation only, so text that had been promoted to the old generation while the vault was open stayed in
  // its freed memory; with --zero-unused-memory a memory-reducing collection zeroes the old generation's unused
  // memory too. Without concurrent sweeping V8 sweeps and hands back pages within the collection itself instead of
  // on background threads a loaded machine may not run for a while, so the scrub is over when this returns (lock
  // reports done only then: CoreState.lockSettled).
  setFlagsFromString('--no-concurrent-sweeping');
  setFlagsFromString('--zero-unused-memory');
  try {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    setFlagsFromString('--no-zero-unused-memory');
    setFlagsFromString('--concurrent-sweeping');
  }
  try {
    overwriteStack(20_000);
  } catch {
    // A stack overflow only means it went as deep as it could.
  }
}

