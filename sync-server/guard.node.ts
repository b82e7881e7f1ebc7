/**
 * The relay's outer guard, below the WebSocket protocol: TCP connections per remote address and in total, and the
 * HTTP header/request timeouts that close half-sent requests. Everything here is a counter or a timer, so an
 * attacker opening thousands of sockets costs the relay a map entry each, never a parse or a hash.
 *
 * A connection over a limit still gets a clear answer when that is cheap — a JSON 429/503 for plain HTTP, or the
 * `too_many_connections` error frame for a WebSocket (relay.node.ts asks `refusal()` on upgrade) — but only a
 * small slack of such connections is kept; beyond it sockets are destroyed at once.
 */
import type { Server } from 'node:http';
import { isIPv6, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AddressBook, RelayLimits } from './limits.node.ts';

/** Connections over a limit that are still answered with a refusal (per address, and in total), then destroyed. */
const REFUSAL_SLACK = 8;

/**
 * The unit the per-address limits count: an IPv4 address (IPv4-mapped IPv6 too), or an IPv6 /64 — one subscriber
 * usually holds a whole /64, so counting single IPv6 addresses would be no limit at all.
 */
export function addressKey(remote: string | undefined): string {
  const a = (remote ?? 'unknown').toLowerCase();
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!isIPv6(a)) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export interface Guard {
  /** Why this connection is over a limit, or null; a refused connection gets a clear refusal and is closed. */
  refusal(socket: Socket): 'address' | 'total' | null;
}

export function guardServer(server: Server, limits: RelayLimits, addresses: AddressBook, log: Logger): Guard {
  // Node closes a request whose headers (or whole request) are not in by then, checking every second.
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.headersTimeoutMs * 2;
  server.keepAliveTimeout = Math.min(5_000, limits.headersTimeoutMs);
  const over = new WeakMap<Socket, 'address' | 'total'>();
  let overCount = 0;
  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const admitted = addresses.open(key);
    if (admitted === 'ok') {
      socket.once('close', () => addresses.closed(key));
      // A socket that never sends a byte is not covered by the header timeout (no request has started).
      // Silence from a socket that is not (yet) a WebSocket ends it, whether or not a request has started.
      socket.setTimeout(limits.headersTimeoutMs * 2, () => socket.destroy());
      return;
    }
    if (overCount >= REFUSAL_SLACK * 4) {
      socket.destroy();
      return;
    }
    overCount++;
    over.set(socket, admitted);
    socket.once('close', () => overCount--);
    socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
    log.info({ addr: admitted === 'address' ? 'per-address' : 'total', outcome: 'too_many_connections' }, 'connection refused');
  });
  return {
    refusal: (socket) => over.get(socket) ?? null,
  };
}

/** A socket handed to the WebSocket layer: from then on the heartbeat and the session's own timers govern it. */
export function upgraded(socket: Socket): void {
  socket.setTimeout(0);
}
