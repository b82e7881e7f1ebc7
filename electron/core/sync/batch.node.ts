/**
 * Processing a page of items and committing the result: documents are changed as items are applied (each Yjs
 * update commits through the vault's own store), then one transaction of the client's store records the new
 * chain positions, pending and quarantined items, and the cursor. A crash in between replays the page: Yjs
 * updates are idempotent and chain positions are only written together with the cursor, so nothing applies twice
 * in a way anyone could see, and nothing is skipped.
 */
import * as Y from 'yjs';
import type { Item } from '../../../shared/sync/messages.std.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import { epochs, putEpochs } from './keyring.node.ts';
import { commitAssetParts } from './assets.node.ts';
import { decodeItem, encodeItem, handleItem, newEffects, type InboundEffects } from './inbound.node.ts';
import type { Capture } from './outbox.node.ts';
import type { Replica } from './replica.node.ts';

/**
 * Runs the synchronous application of items in one transaction of the vault's connection: a page's documents are
 * written with one commit instead of one per item. Nothing may write on the client's own connection meanwhile (it
 * would wait for this transaction forever): inbound handling only touches caches, and commitBatch writes them after.
 *
 * If anything throws, the vault's rows roll back while memory does not: the cached sync state is dropped (the page
 * is pulled and applied again), fresh documents are forgotten by the store (their head cache), and every document
 * the repo committed in the transaction gets its head reread from disk and its in-memory state written again, so
 * the disk never holds less than the open document.
 */
function inVaultTransaction<T>(r: Replica, fx: InboundEffects, fn: () => T): T {
  const repo = r.session.repo;
  const committed = new Map<string, DocRef>();
  const off = repo.onCommitted((ref) => void committed.set(ref.recordId, ref));
  try {
    return r.session.storage.transaction(fn);
  } catch (e) {
    r.state.dropCache();
    for (const ref of fx.freshWritten.values()) repo.store.delete(ref);
    for (const ref of committed.values()) {
      try {
        if (repo.store.load(ref) && repo.exists(ref)) repo.store.append(ref, Y.encodeStateAsUpdate(repo.open(ref).doc));
      } catch {
        // The disk is failing; the error below is what the caller reports, and the next start reconciles.
      }
    }
    throw e;
  } finally {
    off();
    fx.fresh.clear();
    fx.freshWritten.clear();
    fx.storedIds = null;
  }
}

/** `repair`: items re-pulled from before the cursor to fill a gap; the cursor does not move back. */
export function processBatch(r: Replica, items: Item[], devicesFresh: boolean, repair = false): { fx: InboundEffects; cursor: number } {
  const fx = newEffects();
  const start = r.state.cursor;
  let cursor = start;
  inVaultTransaction(r, fx, () => {
    for (const item of items) {
      // Compared with where the page started, not the running maximum: a page may arrive out of order.
      if (item.serverSeq <= start && !repair) continue;
      cursor = Math.max(cursor, item.serverSeq);
      if (handleItem(r, item, fx, devicesFresh) === 'pending') fx.newPending.set(item.serverSeq, item);
    }
    retryWaiting(r, fx, devicesFresh);
  });
  return { fx, cursor };
}

/** Retries every waiting item (stored and new) until a pass changes nothing. */
export function retryPending(r: Replica, fx: InboundEffects, devicesFresh: boolean): void {
  inVaultTransaction(r, fx, () => retryWaiting(r, fx, devicesFresh));
}

function retryWaiting(r: Replica, fx: InboundEffects, devicesFresh: boolean): void {
  const waiting = new Map<number, Item>();
  for (const p of r.store.pending()) if (!fx.resolvedPending.has(p.serverSeq)) waiting.set(p.serverSeq, decodeItem(p.item));
  for (const [s, item] of fx.newPending) waiting.set(s, item);
  const order = [...waiting.keys()].sort((a, b) => a - b);
  for (let progress = true; progress; ) {
    progress = false;
    for (const s of order) {
      const item = waiting.get(s);
      if (!item) continue;
      if (handleItem(r, item, fx, devicesFresh) === 'pending') continue;
      waiting.delete(s);
      if (fx.newPending.has(s)) fx.newPending.delete(s);
      else fx.resolvedPending.add(s);
      progress = true;
    }
  }
}

export function commitBatch(r: Replica, fx: InboundEffects, cursor: number, capture: Capture): void {
  try {
    r.store.transaction(() => {
      capture.flush();
      if (fx.epochsChanged) putEpochs(r, epochs(r));
      commitAssetParts(r, fx.assetParts);
      for (const docId of fx.touched.values()) r.state.flushDoc(docId);
      for (const [s, item] of fx.newPending) r.store.addPending({ serverSeq: s, doc: item.docId, item: encodeItem(item) });
      for (const s of fx.resolvedPending) r.store.deletePending(s);
      for (const q of fx.quarantine) {
        r.store.addQuarantine(q.serverSeq, encodeItem(q.item), r.state.sealer.sealJson('quarantine', String(q.serverSeq), q.info));
        r.store.deletePending(q.serverSeq);
      }
      if (cursor > r.state.cursor) r.state.cursor = cursor;
    });
  } catch (e) {
    r.state.dropCache();
    throw e;
  }
  // A segment's change is its conversation's.
  const changed = new Set([...fx.changed].map((id) => r.session.conversations.ownerOf(id) ?? id));
  if (changed.size) r.onChange([...changed]);
}

/** Why items wait, for the status line. */
export function pendingSummary(r: Replica): { count: number; message?: string } {
  const rows = r.store.pending();
  if (rows.length === 0) return { count: 0 };
  return {
    count: rows.length,
    message: `${rows.length} item(s) from the relay are waiting for earlier items of the same device (or a key or device not yet known); they are kept and applied once those arrive. A relay that withholds items causes this.`,
  };
}

/**
 * Where to pull again from when something is missing: a chain with a gap (re-pull after the last item applied in
 * it) or an item refused this round (re-pull it: a relay that corrupted one copy may serve a good one). Null when
 * nothing is missing.
 */
export function repairFrom(r: Replica, quarantinedSince: number): number | null {
  let from = Infinity;
  for (const p of r.store.pending()) {
    const item = decodeItem(p.item);
    const chain = r.state.doc(item.docId)?.chains.get(Buffer.from(item.deviceId).toString('hex'));
    from = Math.min(from, chain?.serverSeq ?? 0);
  }
  for (const q of r.store.quarantine()) if (q.serverSeq > quarantinedSince) from = Math.min(from, q.serverSeq - 1);
  return from === Infinity || from >= r.state.cursor ? null : from;
}
