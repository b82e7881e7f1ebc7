/**
 * Freshness (docs/sync-client.md, "Freshness"): a relay that withholds a device's newest items, or serves an older
 * state than it served before, is noticed and reported — it cannot make a device apply anything, but without this
 * it could silently keep changes back.
 *
 * - Each device, after a round in which its own chain positions moved, publishes a signed, dated **head
 *   statement**: every document it has written to, with its position in that document's chain. It travels as an
 *   item on a reserved document (signed like every item; not sealed: it holds only relay document ids and counters,
 *   which the relay sees anyway), and each new statement is a snapshot covering the device's previous ones, so the
 *   relay keeps one per device.
 * - A device that has a peer's statement naming a position beyond what the relay served it reports "withheld";
 *   one handed an older statement than it already saw, or a relay head below its own cursor, reports a rollback.
 *   Both are recomputed every round and show in the sync status in plain words.
 */
import { fromHex, toHex } from '../crypto/sodium.node.ts';
import type { Item } from '../../../shared/sync/messages.std.ts';
import { encodeOutboxItem } from './outbox.node.ts';
import type { Replica } from './replica.node.ts';

const FORMAT = 1;

interface Statement {
  issuedAt: number;
  deviceSeq: number;
  /** [relay doc id hex, chain position] for every document this device wrote to and that is not deleted. */
  heads: [string, number][];
}

export const WITHHELD_MESSAGE =
  'The sync server seems to be holding back recent changes: another of your devices says it saved changes that have not reached this one. They arrive once the server sends them; if this lasts, the server may be faulty or not trustworthy.';
export const ROLLBACK_MESSAGE =
  'The sync server showed this device an older state than it showed before, so recent changes may be missing. If this lasts, the server may be faulty or not trustworthy.';

function myHeads(r: Replica): [string, number][] {
  const out: [string, number][] = [];
  for (const id of r.store.docIds()) {
    if (toHex(id) === toHex(r.keys.headsDocId) || toHex(id) === toHex(r.keys.keyringDocId)) continue;
    const ds = r.state.doc(id);
    const mine = ds?.chains.get(r.deviceHex);
    if (mine && !ds!.tombstoned) out.push([toHex(id), mine.docSeq]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Queues a statement when this device's positions moved since the last one. Returns whether it queued one. */
export function queueHeadStatement(r: Replica): boolean {
  const heads = myHeads(r);
  const digest = JSON.stringify(heads);
  const sentRaw = r.store.getMeta('heads-sent');
  const sent = sentRaw ? r.state.sealer.openJson<{ seq: number; digest: string }>('meta', 'heads-sent', sentRaw) : null;
  if (heads.length === 0 || sent?.digest === digest) return false;
  const seq = r.state.lastSeq + 1;
  const body = new TextEncoder().encode(JSON.stringify({ v: FORMAT, issuedAt: Date.now(), deviceSeq: seq, heads } satisfies Statement & { v: number }));
  const covers = sent ? [{ deviceId: r.device.publicKey, from: 1, to: sent.seq }] : [];
  r.store.transaction(() => {
    r.store.addOutbox(seq, encodeOutboxItem({ kind: sent ? 'snapshot' : 'update', docId: r.keys.headsDocId, deviceSeq: seq, body, covers }));
    r.state.lastSeq = seq;
    r.store.putMeta('heads-sent', r.state.sealer.sealJson('meta', 'heads-sent', { seq, digest }));
  });
  return true;
}

/** What this device learned about its peers' heads, and whether the relay looked like it was holding back. */
export class Freshness {
  readonly #peers = new Map<string, Statement>();
  #rolledBack = false;
  #withheld = false;

  constructor(r: Replica) {
    const raw = r.store.getMeta('peer-heads');
    if (raw) for (const [dev, s] of r.state.sealer.openJson<[string, Statement][]>('meta', 'peer-heads', raw)) this.#peers.set(dev, s);
  }

  /** A statement item (signature already verified). Returns why it is malformed, or null. */
  take(item: Item): string | null {
    let s: Statement & { v: number };
    try {
      s = JSON.parse(new TextDecoder().decode(item.body ?? new Uint8Array(0))) as Statement & { v: number };
    } catch {
      return 'it is a malformed head statement';
    }
    if (s.v !== FORMAT || s.deviceSeq !== item.deviceSeq || !Array.isArray(s.heads) || !s.heads.every((h) => Array.isArray(h) && /^[0-9a-f]{64}$/.test(String(h[0])) && Number.isSafeInteger(h[1]))) {
      return 'it is a malformed head statement';
    }
    const dev = toHex(item.deviceId);
    const seen = this.#peers.get(dev);
    if (seen && seen.deviceSeq > s.deviceSeq) this.#rolledBack = true; // an older statement than one already seen
    else this.#peers.set(dev, { issuedAt: s.issuedAt, deviceSeq: s.deviceSeq, heads: s.heads });
    return null;
  }

  /** The relay's head below what this device already has: it serves an older state. */
  sawHead(head: number, cursor: number): void {
    if (head < cursor) this.#rolledBack = true;
  }

  /** After a round: is any peer's stated position beyond what this device received? Persists what it learned. */
  check(r: Replica): void {
    this.#withheld = false;
    for (const [dev, s] of this.#peers) {
      const d = r.devices.get(dev);
      if (!d || d.revokedAt !== null || dev === r.deviceHex) continue;
      for (const [doc, pos] of s.heads) {
        const ds = r.state.doc(fromHex(doc));
        if (ds?.tombstoned) continue;
        if ((ds?.chains.get(dev)?.docSeq ?? 0) < pos) this.#withheld = true;
      }
    }
    r.store.putMeta('peer-heads', r.state.sealer.sealJson('meta', 'peer-heads', [...this.#peers]));
  }

  /** Starts a new connection's view: a rollback is judged again from what the relay shows now. */
  reset(): void {
    this.#rolledBack = false;
  }

  get message(): string | null {
    return this.#rolledBack ? ROLLBACK_MESSAGE : this.#withheld ? WITHHELD_MESSAGE : null;
  }
}
