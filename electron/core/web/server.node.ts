/**
 * Browser mode: the built renderer and a WebSocket to the core, on loopback only. Static files carry nothing
 * secret (they are the public build), but every request still passes the loopback and Host checks; the WebSocket
 * (the only way to the core) also needs our Origin and a session secret. See guard.node.ts for why.
 *
 * The printed address holds a one-time token. The page trades it once (POST /session) for a session secret that
 * it keeps in its tab's sessionStorage, so a reload keeps working while a second use of the printed address — a
 * copy in history, a shoulder-surfed URL, another browser — is refused. Sessions live as long as this process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveCore, type CoreLike } from '../../../shared/transport/serve.std.ts';
import { MAX_FRAME_BYTES } from '../../../shared/transport/protocol.std.ts';
import { WS_PROTOCOL } from '../../../shared/transport/client.std.ts';
import { contentTypes, staticFile } from './static.node.ts';
import { checkRequest, checkUpgrade, newToken, originAllowed, securityHeaders, tokenMatches, type Refusal } from './guard.node.ts';

export { staticFile };

export interface WebServerOptions {
  core: CoreLike;
  /** Loopback only in practice: peers that are not loopback are refused whatever this says. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The vite build output (dist/renderer). */
  rendererDir: string;
  /** Tests pass their own; otherwise 32 fresh random bytes. */
  token?: string;
  /** Told about each refused request (reason only: no URL, no headers, nothing the client sent). */
  onRefused?: (refusal: Refusal) => void;
}

export interface WebServer {
  /** What to open: http://127.0.0.1:PORT/#token=… (the fragment never reaches a server or a log). Works once. */
  url: string;
  port: number;
  /** The one-time token in `url`. */
  token: string;
  /** A further one-time address (for a launcher that opens another window, and for tests). */
  newAddress(): string;
  close(): Promise<void>;
}

/** Serves the core on one accepted WebSocket (browser mode's, and the CLI door's): text frames only. */
export function serveSocket(core: CoreLike, ws: WebSocket): void {
  const served = serveCore(core, (text) => ws.send(text));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'text frames only');
    void served.receive(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
  });
  ws.on('close', () => served.close());
  ws.on('error', () => served.close());
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  /** One-time tokens not yet traded for a session. */
  const unused = new Set<string>([options.token ?? newToken()]);
  const token = [...unused][0]!;
  /** Tokens already traded: a second use is told apart from a wrong token, to say how to get a new address. */
  const spent = new Set<string>();
  /** Session secrets handed out, valid until the process ends. */
  const sessions = new Set<string>();
  const host = options.host ?? '127.0.0.1';
  let port = 0; // known once listening; every check compares against the real port
  const refuse = (refusal: Refusal) => options.onRefused?.(refusal);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, securityHeaders(port));
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const refusal = checkRequest({ remoteAddress: req.socket.remoteAddress, host: req.headers.host }, port);
    if (refusal) {
      refuse(refusal);
      res.writeHead(refusal.status, { ...securityHeaders(port), 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      return res.end(`${refusal.reason}\n`);
    }
    if (req.url === '/session') return trade(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...securityHeaders(port), allow: 'GET, HEAD' });
      return res.end();
    }
    const file = staticFile(options.rendererDir, req.url ?? '/');
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      res.writeHead(404, { ...securityHeaders(port), 'content-type': 'text/plain; charset=utf-8' });
      return res.end('not found\n');
    }
    const body = await readFile(file);
    res.writeHead(200, { ...securityHeaders(port), 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * POST /session with the one-time token in `x-mindstage-token`, from our own Origin: answers a fresh session
   * secret and forgets the token. 410 for a token already traded (the page says how to get a new address).
   */
  function trade(req: IncomingMessage, res: ServerResponse) {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { ...securityHeaders(port), 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return answer(405, { error: 'method' });
    if (!originAllowed(req.headers.origin, port)) {
      refuse({ status: 403, reason: 'wrong Origin' });
      return answer(403, { error: 'origin' });
    }
    const presented = req.headers['x-mindstage-token'];
    const offered = typeof presented === 'string' ? presented : undefined;
    // Compare against every live token in constant time, then against the spent ones to tell "used" from "wrong".
    const match = [...unused].find((t) => tokenMatches(offered, t));
    if (!match) {
      const used = [...spent].some((t) => tokenMatches(offered, t));
      refuse({ status: used ? 410 : 401, reason: used ? 'one-time token used again' : 'missing or wrong token' });
      return answer(used ? 410 : 401, { error: used ? 'used' : 'token' });
    }
    unused.delete(match);
    spent.add(match);
    const session = newToken();
    sessions.add(session);
    answer(200, { session });
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // Answer with the version protocol only: the token must not be echoed into a response header.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = checkUpgrade(
      {
        remoteAddress: req.socket.remoteAddress,
        host: req.headers.host,
        origin: req.headers.origin,
        protocols: req.headers['sec-websocket-protocol'],
        path: (req.url ?? '').split('?')[0]!,
      },
      port,
      sessions,
    );
    if (refusal) {
      refuse(refusal);
      // end() flushes the status line before closing; destroy() right away could drop it.
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(options.core, ws));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    newAddress() {
      const fresh = newToken();
      unused.add(fresh);
      return `http://127.0.0.1:${port}/#token=${fresh}`;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
