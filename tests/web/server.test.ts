/**
 * Browser mode's door: the real server and the real core on a temp folder, probed over real sockets. Only the
 * right session (traded once for the printed one-time token), from our Origin, with our Host, from a loopback peer, reaches the core.
 */
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { startWebServer, staticFile, type WebServer } from '../../electron/core/web/server.node.ts';
import { isLoopbackAddress, tokenMatches, webCsp, type Refusal } from '../../electron/core/web/guard.node.ts';
import { createWsClient, tokenProtocol, WS_PROTOCOL } from '../../shared/transport/client.std.ts';
import { tempDir } from '../support/files.node.ts';

let core: Core;
let server: WebServer;
let rendererDir: string;
const refusals: Refusal[] = [];

beforeAll(async () => {
  rendererDir = join(tempDir('web-renderer'), 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Mindstage</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(rendererDir, '..', 'secret.txt'), 'outside the renderer');
  core = await openCore({ dataDir: tempDir('web-data') });
  server = await startWebServer({ core, rendererDir, onRefused: (r) => refusals.push(r) });
  session = await newSession();
});
afterAll(async () => {
  await server?.close();
  await core?.close();
});

const origin = () => `http://127.0.0.1:${server.port}`;

/** POST /session as the page does: the one-time token in a header, from the given Origin. */
function trade(target: WebServer, token: string, from = `http://127.0.0.1:${target.port}`): Promise<{ status: number; session?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path: '/session', method: 'POST', headers: { host: `127.0.0.1:${target.port}`, origin: from, 'x-mindstage-token': token } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.statusCode === 200 ? { session: (JSON.parse(body) as { session: string }).session } : {}) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const tokenOf = (address: string) => new URLSearchParams(new URL(address).hash.slice(1)).get('token')!;
/** A session, got the way the page gets one: a fresh one-time address, traded. */
async function newSession(target = server): Promise<string> {
  const r = await trade(target, tokenOf(target.newAddress()));
  if (!r.session) throw new Error(`trade refused: ${r.status}`);
  return r.session;
}
let session = '';

/** Tries an upgrade; resolves with the HTTP status of a refusal, or 101 when the socket opened. */
function upgrade(options: { token?: string | null; origin?: string | null; host?: string; address?: string; path?: string }): Promise<number> {
  const address = options.address ?? '127.0.0.1';
  const protocols = options.token === null ? [WS_PROTOCOL] : [WS_PROTOCOL, tokenProtocol(options.token ?? session)];
  const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${server.port}` };
  const ws = new WebSocket(`ws://${address}:${server.port}${options.path ?? '/ws'}`, protocols, {
    headers,
    ...(options.origin === null ? {} : { origin: options.origin ?? origin() }),
  });
  return new Promise((resolve) => {
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function get(path: string, headers: Record<string, string> = {}, address = '127.0.0.1'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port: server.port, path, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the WebSocket to the core', () => {
  it('refuses an upgrade without a session', async () => {
    expect(await upgrade({ token: null })).toBe(401);
    expect(refusals.at(-1)?.reason).toMatch(/session/);
  });

  it('refuses a wrong token, including a prefix of the right one', async () => {
    expect(await upgrade({ token: 'A'.repeat(43) })).toBe(401);
    expect(await upgrade({ token: session.slice(0, -1) })).toBe(401);
    expect(await upgrade({ token: `${session}A` })).toBe(401);
  });

  it('trades the printed one-time token once for a session; a second use is told apart from a wrong token', async () => {
    // The raw printed token is not a session: it opens nothing by itself.
    expect(await upgrade({ token: server.token })).toBe(401);
    const first = await trade(server, server.token);
    expect(first.status).toBe(200);
    expect(await upgrade({ token: first.session! })).toBe(101);
    // The same address again (another tab, another browser, a copy from history): refused as used.
    expect((await trade(server, server.token)).status).toBe(410);
    expect(refusals.at(-1)?.reason).toMatch(/used again/);
    expect((await trade(server, 'A'.repeat(43))).status).toBe(401);
    // The session keeps working (a reload of the tab), and so does a second session from a fresh address.
    expect(await upgrade({ token: first.session! })).toBe(101);
    expect(await upgrade({ token: await newSession() })).toBe(101);
    // From another Origin, even a fresh token is not traded (and stays unspent).
    const fresh = tokenOf(server.newAddress());
    expect((await trade(server, fresh, 'http://evil.example')).status).toBe(403);
    expect((await trade(server, fresh)).status).toBe(200);
  });

  it('refuses a wrong or missing Origin', async () => {
    expect(await upgrade({ origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade({ origin: `http://localhost:${server.port}` })).toBe(403);
    expect(await upgrade({ origin: `http://127.0.0.1:${server.port + 1}` })).toBe(403);
    expect(await upgrade({ origin: null })).toBe(403);
    expect(refusals.at(-1)?.reason).toMatch(/Origin/);
  });

  it('refuses a wrong Host (DNS rebinding)', async () => {
    expect(await upgrade({ host: `evil.example:${server.port}` })).toBe(421);
    expect(await upgrade({ host: `localhost:${server.port}` })).toBe(421);
    expect(refusals.at(-1)?.reason).toMatch(/Host/);
  });

  it('refuses other paths', async () => {
    expect(await upgrade({ path: '/socket' })).toBe(404);
  });

  it('accepts the right token, Origin and Host, and a command round-trips', async () => {
    expect(await upgrade({})).toBe(101);
    const client = createWsClient(`ws://127.0.0.1:${server.port}/ws`, {
      token: session,
      // Node's global WebSocket cannot set Origin; the ws client sends what a browser on our page would.
      WebSocket: class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { origin: origin() });
        }
      } as never,
    });
    expect(await client.invoke('vault.status', {})).toEqual({ ok: true, value: { exists: false, unlocked: false } });
    expect(await client.invoke('vault.unlock', { passphrase: '' })).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(await client.invoke('nope.nope' as never, {} as never)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('Unknown command') } });
    const locked: unknown[] = [];
    client.on('vault.locked', (p) => locked.push(p));
    expect((await client.invoke('vault.create', { passphrase: 'a long enough passphrase for tests' })).ok).toBe(true);
    expect(await client.invoke('vault.lock', {})).toEqual({ ok: true, value: null });
    await expect.poll(() => locked).toEqual([{ reason: 'manual' }]);
    client.close();
  });

  it('answers a malformed frame with a usage error and a binary frame by closing', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, [WS_PROTOCOL, tokenProtocol(session)], { origin: origin() });
    await new Promise((r) => ws.once('open', r));
    expect(ws.protocol).toBe(WS_PROTOCOL); // the token is never echoed back
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    ws.send('{"id":9,"command":"vault.status","input":{},"sneaky":true}');
    expect(JSON.parse(await reply)).toMatchObject({ id: 9, result: { ok: false, error: { code: 'usage' } } });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(Buffer.from('{}'), { binary: true });
    expect(await closed).toBe(1003);
  });
});

describe('non-loopback peers', () => {
  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['192.0.2.2', '10.0.0.1', '::ffff:192.168.1.1', 'fe80::1', '0.0.0.0', '::', '', undefined, 'localhost', '128.0.0.1'])
      expect(isLoopbackAddress(a), String(a)).toBe(false);
  });

  // A real peer from a non-loopback address: the server is bound to every interface here (the only way such a
  // peer can reach it at all), and everything else about the request is right.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it.skipIf(!external)(`refuses a peer connecting from a non-loopback address (${external ?? 'none on this machine'})`, async () => {
    const wide = await startWebServer({ core, rendererDir, host: '0.0.0.0', onRefused: (r) => refusals.push(r) });
    try {
      const wideSession = await newSession(wide);
      const ws = new WebSocket(`ws://${external}:${wide.port}/ws`, [WS_PROTOCOL, tokenProtocol(wideSession)], {
        origin: `http://127.0.0.1:${wide.port}`,
        headers: { host: `127.0.0.1:${wide.port}` },
      });
      const status = await new Promise<number>((resolve) => {
        ws.on('open', () => resolve(101));
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
      expect(status).toBe(403);
      expect(refusals.at(-1)?.reason).toMatch(/loopback/);
      const page = await new Promise<number>((resolve, reject) => {
        request({ host: external, port: wide.port, path: '/', headers: { host: `127.0.0.1:${wide.port}` } }, (res) => resolve(res.statusCode ?? 0))
          .on('error', reject)
          .end();
      });
      expect(page).toBe(403);
      // The same request from loopback to the same server is accepted: the address alone made the difference.
      const ok = new WebSocket(`ws://127.0.0.1:${wide.port}/ws`, [WS_PROTOCOL, tokenProtocol(wideSession)], { origin: `http://127.0.0.1:${wide.port}` });
      await new Promise((r, j) => (ok.once('open', r), ok.once('error', j)));
      ok.close();
    } finally {
      await wide.close();
    }
  });
});

describe('static files and headers', () => {
  it('serves the renderer with strict security headers', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Mindstage</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(webCsp(server.port));
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await get('/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('refuses a wrong Host for plain pages too', async () => {
    expect((await get('/', { host: 'rebind.example' })).status).toBe(421);
  });

  it('never serves a file outside the renderer folder', async () => {
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/assets/..%2f..%2fsecret.txt')).status).toBe(404);
    expect(staticFile(rendererDir, '/../secret.txt')).toBeNull();
    expect(staticFile(rendererDir, '/%2e%2e%2fsecret.txt')).toBeNull();
    expect(staticFile(rendererDir, '/a\\..\\..\\secret.txt')).toBeNull();
    expect(staticFile(rendererDir, '/.hidden')).toBeNull();
    expect(staticFile(rendererDir, '/%E0%A4%A')).toBeNull();
    expect(staticFile(rendererDir, '/')).toBe(join(rendererDir, 'index.html'));
  });

  it('answers only GET and HEAD', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/', method: 'POST', headers: { host: `127.0.0.1:${server.port}` } }, (res) => resolve(res.statusCode ?? 0))
        .on('error', reject)
        .end();
    });
    expect(status).toBe(405);
  });
});

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    for (const t of [undefined, '', 'ab', 'abcd', 'ABC']) expect(tokenMatches(t, 'abc')).toBe(false);
  });
});
