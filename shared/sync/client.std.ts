/**
 * A small typed client for the relay protocol: request/answer matching by id, live pushes, and one method per
 * operation that builds and signs the right statement. It runs anywhere a standard WebSocket exists (Node 24's
 * global, browsers, or `ws`), and takes signing as functions so it holds no key material itself.
 *
 * This is the transport the core's sync engine builds on; the engine (outbox, backoff, hash chains inside the
 * ciphertext, applying updates) is not here.
 */
import { MindstageError, type ErrorCode } from '../result.std.ts';
import { defaultFrameLimits } from './frame.std.ts';
import {
  decodeRelayMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type ClientMessage,
  type CoverRange,
  type DeviceInfo,
  type DeviceList,
  type Item,
  type RelayErrorCode,
  type RelayMessage,
  type RelayMessageOf,
  type WipeMarker,
  type WipeReceipt,
} from './messages.std.ts';
import { authStatement, deviceListStatement, itemStatement, relayAuthority, wipeStatement, type Signer } from './signing.std.ts';

/** Handler types checked bivariantly (like the DOM's own), so the standard WebSocket fits SocketLike. */
type Handler<E> = { bivariance(ev: E): void }['bivariance'] | null;

/** The part of the standard WebSocket this client uses. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}
export type SocketFactory = (url: string) => SocketLike;

const mindstageCode: Record<RelayErrorCode, ErrorCode> = {
  bad_frame: 'usage',
  too_large: 'usage',
  unsupported: 'unsupported',
  auth_required: 'network',
  auth_failed: 'network',
  unknown_account: 'network',
  unknown_device: 'network',
  revoked: 'device_removed',
  wiped: 'network',
  rate_limited: 'network',
  too_many_connections: 'network',
  invite_required: 'network',
  quota: 'network',
  replay: 'exists',
  conflict: 'integrity',
  deleted: 'not_found',
  not_found: 'not_found',
  exists: 'exists',
  timeout: 'network',
  shutting_down: 'network',
  internal: 'network',
};

/** A refusal from the relay (or a lost connection: relayCode 'closed'), as the app's one error shape. */
export class RelayError extends MindstageError {
  readonly relayCode: RelayErrorCode | 'closed';
  readonly retryAfterMs: number | undefined;
  /** Set when the account was wiped: verify it with verifyWipeMarker before acting on it. */
  readonly marker: WipeMarker | undefined;
  constructor(relayCode: RelayErrorCode | 'closed', message: string, extra: { retryAfterMs?: number; marker?: WipeMarker } = {}) {
    super(relayCode === 'closed' ? 'network' : mindstageCode[relayCode], `The sync relay refused: ${message}`);
    this.name = 'RelayError';
    this.relayCode = relayCode;
    this.retryAfterMs = extra.retryAfterMs;
    this.marker = extra.marker;
  }
}

export interface DeviceIdentity {
  accountId: Uint8Array;
  deviceId: Uint8Array;
  /** Signs with the device's Ed25519 secret key. */
  sign: Signer;
}

export interface ConnectOptions {
  socket?: SocketFactory;
  /** Largest frame accepted from the relay. */
  maxFrameBytes?: number;
  onPush?: (item: Item) => void;
  /** The account was wiped while connected (verify the marker before wiping anything locally). */
  onWiped?: (marker: WipeMarker) => void;
  /** Refusals not tied to a request (rate limits, revocation, timeouts). */
  onError?: (error: RelayError) => void;
  onClose?: (code: number, reason: string) => void;
}

type Pending = { resolve: (m: RelayMessage) => void; reject: (e: RelayError) => void };
type Outgoing = ClientMessage extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

const defaultSocket: SocketFactory = (url) => new (globalThis as unknown as { WebSocket: new (u: string) => SocketLike }).WebSocket(url);

export class RelayConnection {
  readonly url: string;
  readonly authority: string;
  /** The relay's public key as it announced it in the challenge (pin it on first use). */
  relayKey: Uint8Array | null = null;
  private identity: DeviceIdentity | null = null;
  private readonly socket: SocketLike;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWith: RelayError | null = null;
  private readonly options: ConnectOptions;

  private constructor(url: string, socket: SocketLike, options: ConnectOptions) {
    this.url = url;
    this.authority = relayAuthority(url);
    this.socket = socket;
    this.options = options;
  }

  static connect(url: string, options: ConnectOptions = {}): Promise<RelayConnection> {
    const socket = (options.socket ?? defaultSocket)(url);
    socket.binaryType = 'arraybuffer';
    const conn = new RelayConnection(url, socket, options);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(conn);
      socket.onerror = () => reject(new RelayError('closed', `could not connect to ${conn.authority}`));
      socket.onmessage = (ev) => conn.receive(ev.data);
      socket.onclose = (ev) => {
        conn.fail(new RelayError('closed', `connection closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`));
        reject(new RelayError('closed', `could not connect to ${conn.authority}`));
        options.onClose?.(ev.code, ev.reason);
      };
    });
  }

  get isOpen(): boolean {
    return this.closedWith === null;
  }

  close(): void {
    this.socket.close(1000, 'bye');
  }

  /** Sends one message and waits for the answer with the same id; refusals reject with RelayError. */
  request(message: Outgoing): Promise<RelayMessage> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(encodeMessage({ ...message, id } as ClientMessage) as Uint8Array<ArrayBuffer>);
    });
  }

  private async expect<T extends RelayMessage['t']>(t: T, message: Outgoing): Promise<RelayMessageOf<T>> {
    const answer = await this.request(message);
    if (answer.t !== t) throw new RelayError('bad_frame', `expected ${t}, got ${answer.t}`);
    return answer as RelayMessageOf<T>;
  }

  private receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return this.protocolError('the relay sent a text frame');
    const decoded = decodeRelayMessage(new Uint8Array(data), { ...defaultFrameLimits, maxFrameBytes: this.options.maxFrameBytes ?? 64 * 1024 * 1024 });
    if (!decoded.ok) return this.protocolError(decoded.message);
    const m = decoded.message;
    if (m.t === 'push') return this.options.onPush?.(m.item);
    const id = 'id' in m ? m.id : null;
    const pending = id === null ? undefined : this.pending.get(id);
    if (pending && id !== null) this.pending.delete(id);
    if (m.t === 'error') {
      const e = new RelayError(m.code, m.message, m.retryAfterMs === undefined ? {} : { retryAfterMs: m.retryAfterMs });
      if (pending) pending.reject(e);
      else {
        // A fatal refusal that answers no request (too many connections, an auth timeout) is why the connection is
        // about to close: requests still waiting, and later ones, fail with it rather than with a bare "closed".
        if (m.fatal) this.fail(e);
        this.options.onError?.(e);
      }
      return;
    }
    if (m.t === 'wiped') {
      if (pending) pending.reject(new RelayError('wiped', 'this account was wiped', { marker: m.marker }));
      this.options.onWiped?.(m.marker);
      return;
    }
    pending?.resolve(m);
  }

  private protocolError(why: string): void {
    this.fail(new RelayError('bad_frame', `the relay sent something outside the protocol: ${why}`));
    this.socket.close(1002, 'protocol error');
  }

  private fail(e: RelayError): void {
    this.closedWith ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  // ---- operations -----------------------------------------------------------------------------------------------

  /** hello → challenge → auth. Returns the account's head sequence number. Throws RelayError('wiped') with the marker. */
  async authenticate(identity: DeviceIdentity): Promise<{ head: number; serverTime: number; relayKey: Uint8Array }> {
    const challenge = await this.expect('challenge', { t: 'hello', protocol: PROTOCOL_VERSION, accountId: identity.accountId, deviceId: identity.deviceId });
    if (challenge.authority !== this.authority) throw new RelayError('auth_failed', `the relay calls itself ${challenge.authority}, but we dialled ${this.authority}`);
    const sig = await identity.sign(authStatement({ nonce: challenge.nonce, accountId: identity.accountId, deviceId: identity.deviceId, authority: this.authority }));
    const welcome = await this.expect('welcome', { t: 'auth', sig });
    this.identity = identity;
    this.relayKey = challenge.relayKey;
    return { head: welcome.head, serverTime: welcome.serverTime, relayKey: challenge.relayKey };
  }

  /**
   * Signs and sends the next version of the device list (`signer`: a device on the current version or its recovery
   * authority; for version 1, the account id's key). Works before authentication: the signature is the authority.
   */
  async setDevices(a: Omit<DeviceList, 'sig' | 'issuedAt' | 'signer'> & { issuedAt?: number; signer: Uint8Array; sign: Signer }): Promise<DeviceList> {
    const { sign, ...rest } = a;
    const unsigned = { ...rest, issuedAt: a.issuedAt ?? Date.now() };
    const list = { ...unsigned, sig: await sign(deviceListStatement(unsigned)) };
    return this.sendDevices(list);
  }

  /** Sends a device-list version signed earlier (e.g. carried by a pairing code to the device it adds). */
  async sendDevices(list: DeviceList): Promise<DeviceList> {
    await this.expect('done', { t: 'setDevices', list });
    return list;
  }

  /** Signs a wipe for this relay and sends it. Verify the receipt (verifyWipeReceipt) against the pinned relay key. */
  async wipe(a: { accountId: Uint8Array; issuedAt?: number; signer: Uint8Array; sign: Signer }): Promise<{ receipt: WipeReceipt; marker: WipeMarker }> {
    const unsigned = { accountId: a.accountId, issuedAt: a.issuedAt ?? Date.now(), authority: this.authority, signer: a.signer };
    const marker = { ...unsigned, sig: await a.sign(wipeStatement(unsigned)) };
    return this.sendWipe(marker);
  }

  /** Sends a wipe marker signed earlier (e.g. prepared offline). */
  async sendWipe(marker: WipeMarker): Promise<{ receipt: WipeReceipt; marker: WipeMarker }> {
    const r = await this.expect('receipt', { t: 'wipe', marker });
    return { receipt: r.receipt, marker: r.marker };
  }

  private me(): DeviceIdentity {
    if (!this.identity) throw new RelayError('auth_required', 'authenticate first');
    return this.identity;
  }

  async upload(a: { docId: Uint8Array; deviceSeq: number; body: Uint8Array }): Promise<RelayMessageOf<'ack'>> {
    const { accountId, deviceId, sign } = this.me();
    const sig = await sign(itemStatement({ kind: 'update', accountId, deviceId, ...a }));
    return this.expect('ack', { t: 'upload', deviceId, ...a, sig });
  }

  async snapshot(a: { docId: Uint8Array; deviceSeq: number; body: Uint8Array; covers: CoverRange[] }): Promise<RelayMessageOf<'ack'>> {
    const { accountId, deviceId, sign } = this.me();
    const sig = await sign(itemStatement({ kind: 'snapshot', accountId, deviceId, ...a }));
    return this.expect('ack', { t: 'snapshot', deviceId, ...a, sig });
  }

  async tombstone(a: { docId: Uint8Array; deviceSeq: number }): Promise<RelayMessageOf<'ack'>> {
    const { accountId, deviceId, sign } = this.me();
    const sig = await sign(itemStatement({ kind: 'tombstone', accountId, deviceId, ...a }));
    return this.expect('ack', { t: 'tombstone', deviceId, ...a, sig });
  }

  pull(after: number, limit?: number): Promise<RelayMessageOf<'items'>> {
    return this.expect('items', limit === undefined ? { t: 'pull', after } : { t: 'pull', after, limit });
  }

  /** Pulls until caught up; returns every item after `after` and the new cursor. */
  async pullAll(after: number): Promise<{ items: Item[]; cursor: number }> {
    const items: Item[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.pull(cursor);
      items.push(...page.items);
      cursor = Math.max(cursor, page.items.at(-1)?.serverSeq ?? cursor);
      if (!page.more) return { items, cursor: Math.max(cursor, page.head) };
    }
  }

  /** Every version of the device list, oldest first (verify with verifyDeviceChain); `legacy`: v1 rows of an account without a list yet. */
  async devices(): Promise<{ lists: DeviceList[]; legacy: DeviceInfo[] }> {
    const m = await this.expect('deviceList', { t: 'devices' });
    return { lists: m.lists, legacy: m.legacy };
  }

  /** What the relay holds for this account: items by kind, their bytes, active devices (the relay's own count). */
  async usage(): Promise<{ updates: number; snapshots: number; tombstones: number; bytes: number; devices: number }> {
    const { t: _t, id: _id, ...counts } = await this.expect('usage', { t: 'usage' });
    return counts;
  }

  async pairPut(a: { mailbox: Uint8Array; body: Uint8Array; ttlMs: number }): Promise<void> {
    await this.expect('done', { t: 'pairPut', ...a });
  }

  async pairTake(mailbox: Uint8Array): Promise<Uint8Array> {
    return (await this.expect('pairBody', { t: 'pairTake', mailbox })).body;
  }
}
