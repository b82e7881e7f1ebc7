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
import { createServer as createNetServer, isIPv6, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AddressBook, RelayLimits } from './limits.node.ts';

/** What a refused connection is told (as an error frame on a WebSocket, or a JSON HTTP answer). */
export const overMessage = {
  address: 'Too many connections from your network address to this relay; close some and try again.',
  total: 'This relay is too busy for more connections right now; try again later.',
} as const;

/**
 * Connections over a limit that still get a WebSocket error frame, per address; beyond them, a canned HTTP answer.
 * Per address so that one address's flood does not use up the slack and leave everyone else (an honest app over
 * its own limit) with an HTTP status a WebSocket client cannot read. The total is capped too.
 */
const REFUSAL_SLACK = 8;
const REFUSAL_SLACK_TOTAL = 512;

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
  /** The TCP listener: it admits sockets and hands them to the HTTP server. */
  tcp: NetServer;
  /** Why this connection is over a limit, or null; a refused connection gets a clear refusal and is closed. */
  refusal(socket: Socket): 'address' | 'total' | null;
}

const cannedAnswer = (why: 'address' | 'total'): Buffer => {
  const body = JSON.stringify({ ok: false, error: 'too_many_connections', message: overMessage[why] });
  return Buffer.from(`HTTP/1.1 ${why === 'address' ? '429 Too Many Requests' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
};
/** Encoded once: a flood of refused sockets should cost a write each, not a string encoding each. */
const canned = { address: cannedAnswer('address'), total: cannedAnswer('total') };

/** A complete HTTP answer written straight to the socket: nothing of the request is read or parsed. */
function cannedRefusal(socket: Socket, why: 'address' | 'total'): void {
  socket.on('error', () => socket.destroy());
  socket.end(canned[why]);
  socket.setTimeout(1_000, () => socket.destroy());
}

/** Canned refusals written per turn of the event loop (see refuseSoon). */
const REFUSALS_PER_TURN = 32;
/** Refused sockets waiting for their answer; past this many a flood's sockets are closed unanswered. */
const REFUSALS_QUEUED = 4_096;
const waiting: [Socket, 'address' | 'total'][] = [];

function drainRefusals(): void {
  for (const [socket, why] of waiting.splice(0, REFUSALS_PER_TURN)) if (!socket.destroyed) cannedRefusal(socket, why);
  if (waiting.length) setImmediate(drainRefusals);
}

/**
 * Queues a canned refusal, written a few per turn of the event loop. A flood's refusals cost a write, a shutdown and
 * a close each (~0.3 ms); written as they are accepted, a burst of a hundred held every connected device's frames
 * for tens of milliseconds, where now at most REFUSALS_PER_TURN stand between two turns that read those frames.
 */
function refuseSoon(socket: Socket, why: 'address' | 'total'): void {
  socket.on('error', () => socket.destroy());
  if (waiting.length >= REFUSALS_QUEUED) return void socket.destroy();
  waiting.push([socket, why]);
  if (waiting.length === 1) setImmediate(drainRefusals);
}

/**
 * The relay's TCP listener in front of `server`: each socket is counted against its address and the total before
 * Node's HTTP machinery sees it, so a flood of refused sockets costs one map lookup and one write each, spread over
 * turns of the event loop.
 */
export function guardServer(server: Server, limits: RelayLimits, addresses: AddressBook, log: Logger): Guard {
  // Node closes a request whose headers (or whole request) are not in by then, checking every second.
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.headersTimeoutMs * 2;
  server.keepAliveTimeout = Math.min(5_000, limits.headersTimeoutMs);
  const over = new WeakMap<Socket, 'address' | 'total'>();
  let overCount = 0;
  const overByAddress = new Map<string, number>();
  // Memory is sampled, not measured per connection: one cheap syscall a second.
  let shedding = false;
  const memory = setInterval(() => {
    const busy = process.memoryUsage.rss() > limits.memoryBudgetBytes * 0.85;
    if (busy !== shedding) log.warn({ rssMB: Math.round(process.memoryUsage.rss() / 1048576), shedding: busy }, 'memory budget');
    shedding = busy;
  }, 1_000);
  memory.unref();
  let refusedSinceLog = 0;
  const tcp = createNetServer((socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const admitted = shedding ? 'total' : addresses.open(key);
    if (admitted === 'ok') {
      socket.once('close', () => addresses.closed(key));
      // Silence from a socket that is not (yet) a WebSocket ends it, whether or not a request has started.
      socket.setTimeout(limits.headersTimeoutMs * 2, () => socket.destroy());
      server.emit('connection', socket);
      return;
    }
    if (refusedSinceLog++ % 1000 === 0) log.info({ limit: admitted === 'address' ? 'per-address' : 'total', refused: refusedSinceLog }, 'connections refused');
    // A few over-limit connections go on to a WebSocket upgrade, so a real client gets an error frame it can
    // show; past that slack, the canned HTTP answer.
    const mine = overByAddress.get(key) ?? 0;
    if (overCount >= REFUSAL_SLACK_TOTAL || mine >= REFUSAL_SLACK) return refuseSoon(socket, admitted);
    overCount++;
    overByAddress.set(key, mine + 1);
    over.set(socket, admitted);
    socket.once('close', () => {
      overCount--;
      const left = (overByAddress.get(key) ?? 1) - 1;
      if (left > 0) overByAddress.set(key, left);
      else overByAddress.delete(key);
    });
    socket.setTimeout(limits.headersTimeoutMs, () => cannedRefusal(socket, admitted));
    server.emit('connection', socket);
  });
  tcp.once('close', () => clearInterval(memory));
  return {
    tcp,
    refusal: (socket) => over.get(socket) ?? null,
  };
}

/** A socket handed to the WebSocket layer: from then on the heartbeat and the session's own timers govern it. */
export function upgraded(socket: Socket): void {
  socket.setTimeout(0);
}
