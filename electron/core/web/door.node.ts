/**
 * The running core's door for the CLI (issue 9). One process holds a data folder (docs/decisions.md #18); while
 * the app or browser mode holds it, `mindstage …` talks to that process's core instead of refusing with `busy`.
 *
 * The door is a WebSocket on 127.0.0.1 speaking the browser-mode wire protocol (shared/transport), behind the same
 * rules as browser mode's: a loopback peer, the exact Host, and a random per-launch secret (32 bytes) presented as
 * a subprotocol and compared in constant time. Where browser mode gives its secret to a page (printed address,
 * then a tab session), the door writes it to `mindstage.door` in the data folder, mode 0600 — readable by the
 * user who can already read the vault file, and by nobody else. A request carrying an Origin header comes from a
 * web page, never from the CLI, and is refused whatever it presents. The file is removed when the door closes; a
 * file left by a process that died names a port nobody answers on, and the lock (taken over) tells the CLI so.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { CoreLike } from '../../../shared/transport/serve.std.ts';
import { serveSocket } from './server.node.ts';
import { MAX_FRAME_BYTES } from '../../../shared/transport/protocol.std.ts';
import { WS_PROTOCOL } from '../../../shared/transport/client.std.ts';
import { checkRequest, newToken, tokenFromProtocols, tokenMatches, type Refusal } from './guard.node.ts';
import { DOOR_FILE, DOOR_PATH, readDoor, type DoorInfo } from './door-file.node.ts';

export { DOOR_FILE, DOOR_PATH, readDoor, type DoorInfo } from './door-file.node.ts';

export interface Door {
  port: number;
  close(): Promise<void>;
}

/** The checks an upgrade to the door passes (exported for tests of each rule). */
export function checkDoorUpgrade(
  req: { remoteAddress: string | undefined; host: string | undefined; origin: string | undefined; protocols: string | undefined; path: string },
  port: number,
  token: string,
): Refusal | null {
  const base = checkRequest(req, port);
  if (base) return base;
  if (req.path !== DOOR_PATH) return { status: 404, reason: 'no such endpoint' };
  if (req.origin !== undefined) return { status: 403, reason: 'a web page may not use the CLI door' };
  if (!tokenMatches(tokenFromProtocols(req.protocols), token)) return { status: 401, reason: 'missing or wrong door token' };
  return null;
}

/** Opens the door for `core` and writes its file into `dataDir`. */
export async function openDoor(core: CoreLike, dataDir: string, options: { onRefused?: (r: Refusal) => void } = {}): Promise<Door> {
  const token = newToken();
  let port = 0;
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('not found\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, handleProtocols: (p) => (p.has(WS_PROTOCOL) ? WS_PROTOCOL : false) });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = checkDoorUpgrade(
      { remoteAddress: req.socket.remoteAddress, host: req.headers.host, origin: req.headers.origin, protocols: req.headers['sec-websocket-protocol'], path: (req.url ?? '').split('?')[0]! },
      port,
      token,
    );
    if (refusal) {
      options.onRefused?.(refusal);
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(core, ws));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const file = join(dataDir, DOOR_FILE);
  const info: DoorInfo = { pid: process.pid, port, token };
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Replaced whole (a door file left by a process that died may be there), never widened: 0600 from creation.
    rmSync(file, { force: true });
    writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    server.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= (async () => {
        // Only our own file: another process may have replaced it since.
        if (readDoor(dataDir)?.pid === process.pid) rmSync(file, { force: true });
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
      })()),
  };
}
