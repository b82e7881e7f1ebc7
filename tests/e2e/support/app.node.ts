/**
 * Browser mode for the end-to-end tests: the real renderer (built from the current sources), the real core
 * (openCore on a fresh data folder) and Chromium talking to it over a loopback WebSocket.
 *
 * Until the browser-mode server (electron/core/web) is in the tree, a small stand-in serves the build and carries
 * the typed API (support/standin-client.dom.ts). It is loopback only and exists for these tests.
 */
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { openCore } from '../../../electron/core/core.node.ts';
import type { Core } from '../../../electron/core/api/core-types.node.ts';
import type { ApiEventName } from '../../../shared/api/index.std.ts';
import { tempDir } from '../../support/files.node.ts';
import { buildRenderer } from './renderer-build.node.ts';

export interface BrowserMode {
  url: string;
  core: Core;
  dataDir: string;
  close(): Promise<void>;
}

const events: ApiEventName[] = ['vault.locked', 'records.changed', 'chat.delta', 'chat.done'];
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
// The same policy the app ships with: no inline script or style, images only from the app and blob: avatars.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export async function startBrowserMode(): Promise<BrowserMode> {
  const rendererDir = await buildRenderer();
  const dataDir = tempDir('e2e-data');
  const core = await openCore({ dataDir });
  const standin = stripTypeScriptTypes(readFileSync(join(import.meta.dirname, 'standin-client.dom.ts'), 'utf8'));

  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-security-policy': csp, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/standin-client.js') return send(200, 'text/javascript', standin);
    if (path === '/' || path === '/index.html') {
      const html = readFileSync(join(rendererDir, 'index.html'), 'utf8').replace('<script type="module"', '<script type="module" src="./standin-client.js"></script><script type="module"');
      return send(200, 'text/html', html);
    }
    const file = join(rendererDir, path);
    if (!file.startsWith(rendererDir) || !existsSync(file)) return send(404, 'text/plain', 'not found');
    send(200, types[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  });
  const wss = new WebSocketServer({ server, path: '/standin-ws' });
  wss.on('connection', (ws) => {
    const offs = events.map((e) => core.on(e, (payload) => ws.send(JSON.stringify({ event: e, payload }))));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id: number; command: Parameters<Core['invoke']>[0]; input: never };
      void core.invoke(m.command, m.input).then((result) => ws.send(JSON.stringify({ id: m.id, result })));
    });
    ws.on('close', () => offs.forEach((off) => off()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    core,
    dataDir,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((resolve) => server.close(resolve));
      await core.close();
    },
  };
}
