import { describe, expect, it } from 'vitest';
import { checkRequest, checkUpgrade, hostAllowed, isLoopbackAddress, originAllowed, securityHeaders, tokenFromProtocols, tokenMatches, webCsp } from './guard.node.ts';

const port = 41_234;
const good = { remoteAddress: '127.0.0.1', host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, protocols: 'mindstage.token.secret-token', path: '/ws' };

describe('browser-mode guard', () => {
  it('takes only loopback peers, in every spelling Node reports them', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of [undefined, '', '128.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '::2', 'fe80::1', '2001:db8::1', 'localhost']) expect(isLoopbackAddress(a)).toBe(false);
  });

  it('takes only the exact Host and Origin it printed', () => {
    expect(hostAllowed(`127.0.0.1:${port}`, port)).toBe(true);
    for (const h of [undefined, '', `localhost:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, `evil.example:${port}`]) expect(hostAllowed(h, port)).toBe(false);
    expect(originAllowed(`http://127.0.0.1:${port}`, port)).toBe(true);
    for (const o of [undefined, '', 'null', `https://127.0.0.1:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}/`]) expect(originAllowed(o, port)).toBe(false);
  });

  it('reads the token from the subprotocol list, spaces and all; an empty token never matches', () => {
    expect(tokenFromProtocols(undefined)).toBeUndefined();
    expect(tokenFromProtocols('')).toBeUndefined();
    expect(tokenFromProtocols('chat, mindstage.token.abc ,other')).toBe('abc');
    expect(tokenFromProtocols('chat')).toBeUndefined();
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('', '')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });

  it('checks every request and, for the WebSocket, path, Origin and token too, saying which failed', () => {
    expect(checkUpgrade(good, port, new Set(['secret-token']))).toBeNull();
    expect(checkRequest({ remoteAddress: '10.0.0.2', host: good.host }, port)).toEqual({ status: 403, reason: 'not a loopback peer' });
    expect(checkRequest({ remoteAddress: '::1', host: 'evil.example' }, port)).toEqual({ status: 421, reason: 'wrong Host header' });
    expect(checkUpgrade({ ...good, path: '/other' }, port, new Set(['secret-token']))).toEqual({ status: 404, reason: 'no such endpoint' });
    expect(checkUpgrade({ ...good, origin: 'https://evil.example' }, port, new Set(['secret-token']))).toEqual({ status: 403, reason: 'wrong Origin' });
    expect(checkUpgrade(good, port, new Set(['another-token']))).toEqual({ status: 401, reason: 'missing or wrong session' });
    expect(checkUpgrade(good, port, new Set())).toEqual({ status: 401, reason: 'missing or wrong session' });
  });

  it('sends a policy that allows only the app itself and its own WebSocket', () => {
    const directives = Object.fromEntries(webCsp(port).split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data: blob:",
      'font-src': "'self'",
      'connect-src': `'self' ws://127.0.0.1:${port}`,
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(securityHeaders(port)).toMatchObject({
      'content-security-policy': webCsp(port),
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'permissions-policy': expect.stringMatching(/^camera=\(\), microphone=\(\), geolocation=\(\)/),
      'x-frame-options': 'DENY',
    });
  });
});
