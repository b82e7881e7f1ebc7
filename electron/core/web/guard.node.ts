/**
 * Who may talk to browser mode. The server listens on loopback, but any web page the user visits can make their
 * browser send requests to 127.0.0.1, and a DNS-rebinding page can even make them same-origin by name. So every
 * request must pass all of: a loopback peer, the exact Host we printed, and — for the WebSocket that reaches the
 * core — our own Origin and the session secret the page got by trading the printed one-time token, compared in constant time.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** 32 random bytes, base64url: printed in the URL once, never stored. */
export const newToken = () => randomBytes(32).toString('base64url');

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.split('.')[0] === '127';
  if (isIPv6(address)) return address === '::1' || address === '0:0:0:0:0:0:0:1';
  return false;
}

/** The one Host header we accept: what the printed URL says. Anything else is a rebinding attempt or a mistake. */
export const allowedHost = (port: number) => `127.0.0.1:${port}`;
export const allowedOrigin = (port: number) => `http://127.0.0.1:${port}`;

// Exact comparisons: the allowed values hold only digits, dots and a colon, so case does not arise.
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === allowedHost(port);
}

export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === allowedOrigin(port);
}

/** Constant-time token check (hashing first makes the lengths equal, so length is not leaked either). */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined || presented.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Reads the token from the offered WebSocket subprotocols ("mindstage.token.<token>"). */
export function tokenFromProtocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const p of header.split(',')) {
    const value = p.trim();
    if (value.startsWith('mindstage.token.')) return value.slice('mindstage.token.'.length);
  }
  return undefined;
}

/**
 * The page's policy: scripts, styles and fonts only from the app itself (no inline script, no eval); the only
 * connection is our own WebSocket; images also from data:/blob: (avatars are decrypted into blob URLs); nothing
 * may frame the page, and no plugins.
 */
export function webCsp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': webCsp(port),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=(), payment=()',
    // Nothing the server sends is worth keeping in Chromium's disk cache.
    'cache-control': 'no-store',
  };
}

export type Refusal = { status: number; reason: string };

/** The checks every HTTP request passes (static files included). */
export function checkRequest(req: { remoteAddress: string | undefined; host: string | undefined }, port: number): Refusal | null {
  if (!isLoopbackAddress(req.remoteAddress)) return { status: 403, reason: 'not a loopback peer' };
  if (!hostAllowed(req.host, port)) return { status: 421, reason: 'wrong Host header' };
  return null;
}

/** The checks the WebSocket upgrade (the door to the core) passes in addition. */
export function checkUpgrade(
  req: { remoteAddress: string | undefined; host: string | undefined; origin: string | undefined; protocols: string | undefined; path: string },
  port: number,
  sessions: ReadonlySet<string>,
): Refusal | null {
  const base = checkRequest(req, port);
  if (base) return base;
  if (req.path !== '/ws') return { status: 404, reason: 'no such endpoint' };
  if (!originAllowed(req.origin, port)) return { status: 403, reason: 'wrong Origin' };
  const presented = tokenFromProtocols(req.protocols);
  // Every live session is compared (constant time each), so the answer does not depend on where a match sits.
  let found = false;
  for (const s of sessions) found = tokenMatches(presented, s) || found;
  if (!found) return { status: 401, reason: 'missing or wrong session' };
  return null;
}
