/**
 * A hostile relay for tests: a WebSocket factory the engine dials through, sitting between the client and the real
 * relay. It can rewrite every item the relay sends (pull answers and live pushes) — drop, reorder, replay,
 * duplicate, flip bits, withhold, move between documents — and answer `hello` with a forged wipe marker.
 */
import type { SocketFactory, SocketLike } from '../../shared/sync/client.std.ts';
import { decodeRelayMessage, encodeMessage, type Item, type RelayMessage, type WipeMarker } from '../../shared/sync/messages.std.ts';

export type ItemRewrite = (items: Item[], where: 'pull' | 'push') => Item[];

export interface Hostile {
  socket: SocketFactory;
  /** Current rewrite; null passes everything through. */
  rewrite: ItemRewrite | null;
  /** When set, `hello` is answered with this marker instead of being forwarded. */
  forgedWipe: WipeMarker | null;
  /** Items the relay sent, in the order it sent them. */
  seen: Item[];
  /** When set, the relay's head (in welcome and pull answers) is replaced by this older number: a rollback. */
  head: number | null;
  /** Client messages of this type are never forwarded: a relay that does not answer them. */
  swallow: string | null;
}

export function hostileRelay(): Hostile {
  const h: Hostile = {
    rewrite: null,
    forgedWipe: null,
    seen: [],
    head: null,
    swallow: null,
    socket: (url) => {
      const inner = new WebSocket(url);
      inner.binaryType = 'arraybuffer';
      const outer: SocketLike = {
        binaryType: 'arraybuffer',
        get readyState() {
          return inner.readyState;
        },
        send(data) {
          if (h.swallow && decodeFrameLoose(data)?.t === h.swallow) return;
          if (h.forgedWipe) {
            const m = decodeFrameLoose(data);
            if (m && m.t === 'hello') {
              const answer = encodeMessage({ t: 'wiped', id: m.id, marker: h.forgedWipe } as RelayMessage);
              setTimeout(() => outer.onmessage?.({ data: toArrayBuffer(answer) }), 0);
              return;
            }
          }
          inner.send(data);
        },
        close: (code, reason) => inner.close(code, reason),
        onopen: null,
        onmessage: null,
        onclose: null,
        onerror: null,
      };
      inner.onopen = (e) => outer.onopen?.(e);
      inner.onerror = (e) => outer.onerror?.(e);
      inner.onclose = (e) => outer.onclose?.({ code: e.code, reason: e.reason });
      inner.onmessage = (e) => {
        const data = e.data as ArrayBuffer;
        const decoded = decodeRelayMessage(new Uint8Array(data), { maxFrameBytes: 64 * 1024 * 1024, maxHeaderBytes: 8 * 1024 * 1024, maxBlobs: 100_000 });
        if (!decoded.ok) return outer.onmessage?.({ data });
        const m = decoded.message;
        if (h.head !== null && (m.t === 'welcome' || m.t === 'items')) {
          const old = { ...m, head: h.head, ...(m.t === 'items' ? { items: m.items.filter((i) => i.serverSeq <= h.head!), more: false } : {}) };
          return outer.onmessage?.({ data: toArrayBuffer(encodeMessage(old as RelayMessage)) });
        }
        if (m.t === 'items') {
          h.seen.push(...m.items);
          if (h.rewrite) return outer.onmessage?.({ data: toArrayBuffer(encodeMessage({ ...m, items: h.rewrite(m.items, 'pull') })) });
        }
        if (m.t === 'push') {
          h.seen.push(m.item);
          if (h.rewrite) {
            for (const item of h.rewrite([m.item], 'push')) outer.onmessage?.({ data: toArrayBuffer(encodeMessage({ t: 'push', item })) });
            return;
          }
        }
        outer.onmessage?.({ data });
      };
      return outer;
    },
  };
  return h;
}

function decodeFrameLoose(data: Uint8Array): { t: string; id: number } | null {
  try {
    const len = new DataView(data.buffer, data.byteOffset).getUint32(1);
    return JSON.parse(new TextDecoder().decode(data.subarray(5, 5 + len))) as { t: string; id: number };
  } catch {
    return null;
  }
}

const toArrayBuffer = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

/** A copy of an item with one bit of its body flipped. */
export function flipBit(item: Item, at = 40): Item {
  const body = item.body!.slice();
  body[Math.min(at, body.length - 1)]! ^= 0x01;
  return { ...item, body };
}
