/**
 * The relay: one HTTP server on one port, with WebSocket upgrade on `/` (or `/v1`), `GET /health` and the public
 * gallery (`/gallery`, gallery.node.ts).
 * It authenticates devices, stores and forwards ciphertext and deletes on request; it holds no key that could
 * read anything (docs/sync-protocol.md). Storage is SQLite in `dataDir` unless a PostgreSQL URL is given.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeMessage, PROTOCOL_VERSION } from '../shared/sync/messages.std.ts';
import { equalBytes } from '../shared/sync/signing.std.ts';
import type { RelayContext } from './context.node.ts';
import { newSeed, relayIdentity } from './crypto.node.ts';
import { Admission } from './admission.node.ts';
import { galleryHttp } from './gallery.node.ts';
import { addressKey, guardServer, overMessage, upgraded } from './guard.node.ts';
import { AddressBook, defaultLimits, TokenBucket, type RelayLimits } from './limits.node.ts';
import { Session } from './session.node.ts';
import { hex } from './storage/common.node.ts';
import { sqliteStorage } from './storage/sqlite.node.ts';
import type { RelayEvent, RelayStorage, SweepResult } from './storage/types.node.ts';

export interface RelayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Folder for the SQLite database (the default storage). */
  dataDir?: string;
  /** Use PostgreSQL instead of SQLite; several relays may share one database. */
  postgresUrl?: string;
  /** Bring your own storage (tests, embedding); the relay then leaves closing it to the caller. */
  storage?: RelayStorage;
  limits?: Partial<RelayLimits>;
  logger?: Logger;
  /** host[:port] clients dial, when a proxy sits in front; by default the request's Host header. */
  authority?: string;
  /** Clock, for tests of retention and expiry. */
  now?: () => number;
}

export interface RunningRelay {
  /** ws://host:port — what clients connect to. */
  url: string;
  port: number;
  /** The relay's Ed25519 public key: clients pin it and verify wipe receipts with it. */
  relayKey: Uint8Array;
  storage: RelayStorage;
  /** Runs the retention sweep now (it also runs on a timer). */
  sweep: () => Promise<SweepResult>;
  close: () => Promise<void>;
}

/**
 * Changes how large a frame ws reads on one connection. ws has no public setter; the receiver's `_maxPayload` is
 * read for every frame header (ws 8). tests/relay/limits.test.ts checks the effect, so an upgrade that breaks it
 * fails a test instead of silently allowing 32 MiB frames from anonymous peers.
 */
function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const limits: RelayLimits = { ...defaultLimits, ...options.limits };
  const log = options.logger ?? pino({ base: { service: 'mindstage-relay' } });
  const now = options.now ?? Date.now;
  const ownsStorage = !options.storage;
  let storage: RelayStorage;
  if (options.storage) storage = options.storage;
  // pg loads only for a PostgreSQL relay: the SQLite relay and the CLI never pay for it.
  else if (options.postgresUrl) storage = await (await import('./storage/postgres.node.ts')).postgresStorage(options.postgresUrl, { onError: (e) => log.warn({ err: String(e).slice(0, 200) }, 'postgres listener') });
  else if (options.dataDir) storage = sqliteStorage(options.dataDir);
  else throw new Error('startRelay needs dataDir, postgresUrl or storage');
  const identity = relayIdentity(await storage.relaySeed(newSeed));

  const accounts = new Map<string, Set<Session>>();
  const sessions = new Set<Session>();
  const buckets = new Map<string, TokenBucket>();
  const addresses = new AddressBook(limits, now);
  const admission = new Admission(limits, storage, addresses);
  await admission.refresh();
  // ws reads frames up to maxPayload; before authenticating only small ones (see setMaxPayload).
  const framePayload = (frameBytes: number) => frameBytes * 2 + 64 * 1024;

  const ctx: RelayContext = {
    storage,
    identity,
    limits,
    log,
    now,
    register(session) {
      const key = hex(session.accountId!);
      const set = accounts.get(key) ?? new Set<Session>();
      if (set.size >= limits.maxConnectionsPerAccount) return false;
      set.add(session);
      accounts.set(key, set);
      return true;
    },
    unregister(session) {
      sessions.delete(session);
      if (!session.accountId) return;
      const key = hex(session.accountId);
      const set = accounts.get(key);
      set?.delete(session);
      if (set?.size === 0) accounts.delete(key);
    },
    deviceBucket(accountId, deviceId) {
      const key = `${hex(accountId)}:${hex(deviceId)}`;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = new TokenBucket(limits.deviceBurst, limits.deviceRatePerSecond, now())));
      return b;
    },
    addresses,
    admission,
    setFrameLimit: (ws, bytes) => setMaxPayload(ws, framePayload(bytes)),
  };

  const onEvent = (ev: RelayEvent) => {
    const set = accounts.get(hex(ev.accountId));
    if (!set) return;
    if (ev.type === 'item') {
      if (ev.item) for (const s of set) if (s.connId !== ev.origin) s.push(ev.item);
    } else if (ev.type === 'revoked') {
      for (const s of [...set]) if (s.deviceId && equalBytes(s.deviceId, ev.deviceId)) s.revoked();
    } else {
      void admission.refresh().catch(() => undefined);
      void storage.wipeRecord(ev.accountId).then((w) => {
        if (w) for (const s of [...(accounts.get(hex(ev.accountId)) ?? [])]) if (s.connId !== ev.origin) s.wiped(w.marker);
      });
    }
  };
  const unsubscribe = storage.subscribe(onEvent);

  const gallery = galleryHttp({ gallery: storage.gallery, limits, log, now, tag: identity.tag });

  // ---- HTTP -----------------------------------------------------------------------------------------------------
  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' });
    res.end(JSON.stringify(body));
  };
  const server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.headersTimeoutMs * 2, connectionsCheckingInterval: 1_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    const over = guard.refusal(req.socket);
    if (over) return json(res, over === 'address' ? 429 : 503, { ok: false, error: 'too_many_connections', message: overMessage[over] });
    // Only the gallery's publish and unpublish read a body (bounded); every other answer closes without reading one.
    if (path !== undefined && gallery.handle(req, res, path)) return;
    if (path === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { ok: false, error: 'method_not_allowed', message: 'Use GET /health.' });
      return json(res, 200, { ok: true, protocol: PROTOCOL_VERSION, relayKey: hex(identity.publicKey), storage: storage.kind });
    }
    json(res, 404, { ok: false, error: 'not_found', message: 'This is a Mindstage relay: connect with a WebSocket, GET /health, or GET /gallery.' });
  });

  const guard = guardServer(server, limits, addresses, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: framePayload(limits.maxFrameBytes), perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  const rejectUpgrade = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/' && path !== '/v1') return rejectUpgrade(socket, 404, 'Not Found');
    const authority = (options.authority ?? req.headers.host ?? '').toLowerCase();
    if (!authority) return rejectUpgrade(socket, 400, 'Bad Request');
    const over = guard.refusal(req.socket);
    const invite = new URL(req.url ?? '/', 'ws://relay').searchParams.get('invite');
    upgraded(req.socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      setMaxPayload(ws, framePayload(Math.min(limits.maxFrameBytes, limits.anonymousMaxFrameBytes)));
      if (over) {
        // A clear refusal the client can show, then the door: nothing of this connection is read.
        ws.send(encodeMessage({ t: 'error', id: null, code: 'too_many_connections', message: overMessage[over], fatal: true }));
        ws.close(1008, 'too_many_connections');
        return;
      }
      const session = new Session(ctx, ws, randomBytes(6).toString('hex'), authority, { address: addressKey(req.socket.remoteAddress), invite });
      sessions.add(session);
      alive.set(ws, true);
      socket.on('data', (chunk: Buffer) => session.bytesIn(chunk.length));
      ws.on('message', (data, isBinary) => session.receive(data as Buffer, isBinary));
      ws.on('pong', () => alive.set(ws, true));
      ws.on('close', () => session.closed());
      // ws reports protocol violations (e.g. frames over maxPayload) here and closes with the matching code.
      ws.on('error', (e) => log.info({ conn: session.connId, code: (e as { code?: string }).code ?? 'socket_error' }, 'socket error'));
    });
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
    // Buckets of devices with no connection left are dropped once they would be full again anyway.
    if (buckets.size > sessions.size * 2) {
      const live = new Set([...sessions].filter((s) => s.authed).map((s) => `${hex(s.accountId!)}:${hex(s.deviceId!)}`));
      for (const k of buckets.keys()) if (!live.has(k)) buckets.delete(k);
    }
    addresses.prune();
    gallery.prune();
  }, limits.pingIntervalMs);
  heartbeat.unref();

  const sweep = async (): Promise<SweepResult> => {
    const t = now();
    const r = await storage.sweep(t, t - limits.retentionMs, t - limits.retentionMs);
    await admission.refresh();
    log.info({ ...r }, 'retention sweep');
    return r;
  };
  const sweeper = setInterval(() => void sweep().catch((e: unknown) => log.error({ err: String(e).slice(0, 200) }, 'retention sweep failed')), limits.sweepIntervalMs);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    guard.tcp.once('error', reject);
    guard.tcp.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  // The HTTP server gets its sockets from the guard, so it never listens itself; 'listening' starts its tracking
  // of connections, which is what enforces headersTimeout/requestTimeout.
  server.emit('listening');
  const address = guard.tcp.address();
  if (!address || typeof address === 'string') throw new Error('relay did not bind a TCP port');
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `ws://${shownHost}:${address.port}`;
  log.info({ url, storage: storage.kind, relayKey: hex(identity.publicKey) }, 'relay listening');
  void sweep().catch((e: unknown) => log.error({ err: String(e).slice(0, 200) }, 'retention sweep failed'));

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    relayKey: identity.publicKey,
    storage,
    sweep,
    close: () =>
      (closing ??= (async () => {
        clearInterval(heartbeat);
        clearInterval(sweeper);
        unsubscribe();
        const open = [...sessions];
        for (const s of open) s.close(1001, 'shutting down');
        await Promise.all(open.map((s) => s.idle()));
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => guard.tcp.close(() => resolve()));
        server.close();
        if (ownsStorage) await storage.close();
        log.info('relay closed');
      })()),
  };
}
