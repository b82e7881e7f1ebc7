/**
 * One WebSocket connection to the relay. Messages are handled strictly one after another (a per-connection
 * promise chain), so a device can pipeline uploads and still get acknowledgements in order.
 *
 * States: fresh → (hello) challenged → (auth) authed. Who may connect is the account's current signed device list
 * (docs/sync-protocol.md, "Devices"): a device on it, or — only to read the list and sign its next version — the
 * list's recovery authority. Operations whose signature is their authority (a new device-list version, a wipe) and
 * taking a pairing blob work in any state, but only when signed by a device on the current list (or the recovery
 * authority): a removed device is refused everything, whatever keys it kept.
 * Every refusal is an `error` frame with a code and a plain-language message; `fatal` ones close the connection.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  decodeClientMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type ClientMessage,
  type ClientMessageOf,
  type RelayErrorCode,
  type RelayMessage,
} from '../shared/sync/messages.std.ts';
import { authStatement, equalBytes, itemStatement, listStepError, mayAct, receiptStatement, wipeStatement } from '../shared/sync/signing.std.ts';
import { randomNonce, verifyEd25519 } from './crypto.node.ts';
import { LARGE_STATEMENT_BYTES, verifyLargeItem, type SignedItem } from './item-verifier.node.ts';
import type { Peer, Refused } from './admission.node.ts';
import type { RelayContext } from './context.node.ts';
import type { StoredItem, WriteRefusal } from './storage/types.node.ts';

const refuseIf = (r: Refused | null): void => {
  if (r) throw new Refusal(r.code, r.message, false, r.retryAfterMs);
};

/** A refusal raised inside a handler; turned into an error frame by the dispatcher. */
class Refusal extends Error {
  readonly code: RelayErrorCode;
  readonly fatal: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(code: RelayErrorCode, message: string, fatal = false, retryAfterMs?: number) {
    super(message);
    this.code = code;
    this.fatal = fatal;
    this.retryAfterMs = retryAfterMs;
  }
}

const writeRefusals: Record<WriteRefusal, [RelayErrorCode, string, boolean]> = {
  unknown_account: ['unknown_account', 'This account does not exist on this relay (any more).', true],
  unknown_device: ['unknown_device', 'This device is not enrolled in the account.', true],
  revoked: ['revoked', 'This device was removed from the account.', true],
  quota: ['quota', 'The account has used all the storage this relay allows.', false],
  replay: ['replay', 'This device already used a higher sequence number; the item is a replay or was already covered by a snapshot.', false],
  conflict: ['conflict', 'This device already stored different content under this sequence number.', false],
  deleted: ['deleted', 'This document was deleted (it has a tombstone).', false],
};

const TOUCH_EVERY_MS = 3600_000;
/** A peer that lets this much pile up unread is dropped; it can reconnect and pull. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export class Session {
  readonly connId: string;
  readonly authority: string;
  accountId: Uint8Array | null = null;
  deviceId: Uint8Array | null = null;
  private state: 'fresh' | 'challenged' | 'authed' | 'closed' = 'fresh';
  /** A device on the list, or the list's recovery authority (which may only read and extend the list). */
  private role: 'device' | 'recovery' = 'device';
  private nonce: Uint8Array | null = null;
  private claimed: { accountId: Uint8Array; deviceId: Uint8Array } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly ws: WebSocket;
  private readonly ctx: RelayContext;
  private log: Logger;
  private readonly peer: Peer;
  private lastTouch = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;

  constructor(ctx: RelayContext, ws: WebSocket, connId: string, authority: string, peer: Peer) {
    this.ctx = ctx;
    this.ws = ws;
    this.connId = connId;
    this.authority = authority;
    this.peer = peer;
    this.log = ctx.log.child({ conn: connId });
    ctx.addresses.attach(peer.address, this);
    this.armAuthTimer();
  }

  /**
   * Closes a connection that sits idle without authenticating. Re-armed by every request it makes that passed the
   * per-address rate limit: a client working through unauthenticated steps (device lists, pairing mailboxes) on a
   * slow machine is not cut off mid-way, while a silent socket held open to exhaust connections still is.
   */
  private armAuthTimer(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = setTimeout(() => {
      if (this.state !== 'authed') this.refuse(null, new Refusal('timeout', 'Authenticate promptly; this connection was idle without authenticating.', true));
    }, this.ctx.limits.authTimeoutMs);
    this.authTimer.unref();
  }

  /** Stops reading from the peer for a while (its address spent its byte budget); TCP backpressure does the rest. */
  pauseFor(ms: number): void {
    if (this.state === 'closed' || !this.authed) return;
    // Say so once per pause, so the device knows why nothing is answered and when to expect answers again.
    if (!this.resumeTimer) this.send({ t: 'error', id: null, code: 'rate_limited', message: 'Too much data from your network address; slow down.', fatal: false, retryAfterMs: ms });
    this.ws.pause();
    // A peer that keeps sending large frames through the pause has them cut at the frame header (close 1009),
    // unread: what already sits in the socket buffer would otherwise be read in full on resume.
    this.ctx.setFrameLimit(this.ws, this.ctx.limits.anonymousMaxFrameBytes);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      if (this.state === 'closed') return;
      this.ctx.setFrameLimit(this.ws, this.ctx.limits.maxFrameBytes);
      this.ws.resume();
    }, ms);
    this.resumeTimer.unref();
  }

  /**
   * Bytes as they arrive on the socket, before ws has a whole frame: counted against the address's byte budget, so
   * twenty connections streaming 16 MiB frames at once are all paused mid-frame once the budget is spent, instead of
   * being read in full (hundreds of MiB copied and collected) before the first finished frame could be counted.
   */
  bytesIn(bytes: number): void {
    if (this.authed) this.ctx.addresses.spend(this.peer.address, bytes);
  }

  /** An authenticated connection that sends nothing for idleTimeoutMs is closed; clients reconnect when needed. */
  private resetIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.refuse(null, new Refusal('timeout', 'This connection was idle for too long and was closed; reconnect to sync.', true)), this.ctx.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.authTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.ctx.addresses.detach(this.peer.address, this);
  }

  get authed(): boolean {
    return this.state === 'authed';
  }

  /** Called by the socket layer for every message; never throws. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const started = performance.now();
    const bytes = data.length;
    if (!isBinary) return this.refuse(null, new Refusal('bad_frame', 'Text frames are not part of the protocol; send binary frames.', true));
    // Cheap checks first, in this order: size, then the request rate — before decoding (the address's byte budget was
    // charged as the bytes arrived, see bytesIn).
    const { limits } = this.ctx;
    const maxBytes = this.authed ? limits.maxFrameBytes : Math.min(limits.maxFrameBytes, limits.anonymousMaxFrameBytes);
    if (data.length > maxBytes) {
      return this.refuse(null, new Refusal('too_large', `Frame of ${data.length} bytes is over the limit of ${maxBytes}${this.authed ? '' : ' before authenticating'}.`));
    }
    // An authenticated frame's bytes were counted against its address's budget as they arrived (bytesIn).
    if (this.authed) this.resetIdle();
    const bucket = this.authed ? this.ctx.deviceBucket(this.accountId!, this.deviceId!) : this.ctx.addresses.anonymous(this.peer.address);
    const rate = bucket.take(this.ctx.now());
    if (!rate.ok) {
      this.log.info({ outcome: 'rate_limited' }, 'refused');
      return this.send({ t: 'error', id: null, code: 'rate_limited', message: 'Too many requests; slow down.', fatal: false, retryAfterMs: rate.retryAfterMs });
    }
    if (!this.authed) this.armAuthTimer();
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const decoded = decodeClientMessage(frame, { maxFrameBytes: this.ctx.limits.maxFrameBytes, maxHeaderBytes: this.ctx.limits.maxHeaderBytes, maxBlobs: 20_000 });
    if (!decoded.ok) {
      // Not our framing at all: the peer is not speaking the protocol, so stop talking to it.
      const fatal = decoded.id === null && decoded.code === 'bad_frame';
      return this.refuse(decoded.id, new Refusal(decoded.code, decoded.message, fatal));
    }
    const msg = decoded.message;
    this.chain = this.chain.then(async () => {
      if (this.state === 'closed') return;
      try {
        await this.handle(msg);
        this.log.debug({ t: msg.t, bytes, outcome: 'ok', ms: Math.round(performance.now() - started) }, 'handled');
      } catch (e) {
        if (e instanceof Refusal) this.refuse(msg.id, e, msg.t);
        else {
          this.log.error({ t: msg.t, error: { type: (e as Error)?.name, message: String((e as Error)?.message).slice(0, 200) } }, 'internal error'); // not `err`: pino's serializer for it logs the type as "Object"
          this.refuse(msg.id, new Refusal('internal', 'The relay failed to handle this request; nothing was stored. Try again.'), msg.t);
        }
      }
    });
  }

  send(message: RelayMessage): void {
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn({ outcome: 'slow_consumer', buffered: this.ws.bufferedAmount }, 'dropping connection');
      this.close(1013, 'slow consumer');
      return;
    }
    this.ws.send(encodeMessage(message));
  }

  refuse(id: number | null, r: Refusal, t?: string): void {
    this.log.info({ t, code: r.code, fatal: r.fatal }, 'refused');
    this.send({ t: 'error', id, code: r.code, message: r.message, fatal: r.fatal, ...(r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs }) });
    if (r.fatal) this.close(r.code === 'too_large' ? 1009 : 1008, r.code);
  }

  close(code = 1000, reason = ''): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    this.ctx.unregister(this);
    this.ws.close(code, reason);
  }

  /** Connection went away (by either side). */
  closed(): void {
    this.state = 'closed';
    this.stopTimers();
    this.ctx.unregister(this);
  }

  /** Resolves once every message received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  // ---- live events ----------------------------------------------------------------------------------------------

  push(item: StoredItem): void {
    if (this.state === 'authed') this.send({ t: 'push', item });
  }

  revoked(): void {
    this.refuse(null, new Refusal('revoked', 'This device was removed from the account.', true));
  }

  wiped(marker: Extract<RelayMessage, { t: 'wiped' }>['marker']): void {
    this.send({ t: 'wiped', id: null, marker });
    this.close(1000, 'wiped');
  }

  // ---- handlers -------------------------------------------------------------------------------------------------

  private async handle(msg: ClientMessage): Promise<void> {
    switch (msg.t) {
      case 'hello': return this.hello(msg);
      case 'auth': return this.auth(msg);
      case 'setDevices': return this.setDevices(msg);
      case 'wipe': return this.wipe(msg);
      case 'upload':
      case 'snapshot':
      case 'tombstone':
        return this.write(msg);
      case 'pull': return this.pull(msg);
      case 'devices': {
        const accountId = this.requireAuth();
        const lists = await this.ctx.storage.deviceLists(accountId);
        // A v1 account not migrated yet: its enrolled rows, so a device can sign version 1 from them.
        const legacy = lists.length > 0 ? [] : (await this.ctx.storage.devices(accountId)).map(({ lastSeq: _lastSeq, ...d }) => d);
        return this.send({ t: 'deviceList', id: msg.id, lists, legacy });
      }
      case 'pairPut': return this.pairPut(msg);
      case 'usage': return this.usage(msg);
      case 'pairTake': {
        const body = await this.ctx.storage.takePairing(msg.mailbox, this.ctx.now());
        if (!body) throw new Refusal('not_found', 'No such pairing code, or it expired or was already used.');
        this.log.info({ t: msg.t, bytes: body.length, outcome: 'taken' }, 'pairing');
        return this.send({ t: 'pairBody', id: msg.id, body });
      }
    }
  }

  /** The account's own counts, for any authenticated device or the recovery authority: they already see every item. */
  private async usage(msg: ClientMessageOf<'usage'>): Promise<void> {
    const u = await this.ctx.storage.usage(this.requireAuth());
    if (!u) throw new Refusal('unknown_account', 'This account holds nothing on this relay.');
    return this.send({ t: 'usage', id: msg.id, ...u });
  }

  private requireAuth(): Uint8Array {
    if (this.state !== 'authed') throw new Refusal('auth_required', 'Authenticate this device first (hello, then auth).');
    return this.accountId!;
  }

  /** Writing, reading items and pairing are for devices; the recovery authority only reads and extends the list. */
  private requireDevice(): Uint8Array {
    const accountId = this.requireAuth();
    if (this.role !== 'device') throw new Refusal('auth_failed', 'The recovery key may only add a device to the list; it cannot sync.');
    return accountId;
  }

  /** Who `key` is in the account now: a device on the list, its recovery authority, removed, or unknown. */
  private async standing(accountId: Uint8Array, key: Uint8Array): Promise<'device' | 'recovery' | 'revoked' | 'unknown'> {
    const device = await this.ctx.storage.device(accountId, key);
    if (device) return device.revokedAt === null ? 'device' : 'revoked';
    const current = (await this.ctx.storage.deviceLists(accountId)).at(-1);
    return current?.recovery && equalBytes(current.recovery, key) ? 'recovery' : 'unknown';
  }

  private async hello(msg: ClientMessageOf<'hello'>): Promise<void> {
    if (this.state !== 'fresh') throw new Refusal('auth_failed', 'hello may be sent once per connection.', true);
    if (msg.protocol !== PROTOCOL_VERSION) throw new Refusal('unsupported', `This relay speaks protocol ${PROTOCOL_VERSION}, not ${msg.protocol}.`, true);
    const { storage } = this.ctx;
    const wipe = await storage.wipeRecord(msg.accountId);
    if (wipe) {
      this.log.info({ acct: this.ctx.identity.tag(msg.accountId), outcome: 'wiped' }, 'hello');
      this.send({ t: 'wiped', id: msg.id, marker: wipe.marker });
      return this.close(1000, 'wiped');
    }
    if (!(await storage.account(msg.accountId))) throw new Refusal('unknown_account', 'This account does not exist on this relay; enroll a device first.', true);
    const standing = await this.standing(msg.accountId, msg.deviceId);
    if (standing === 'unknown') throw new Refusal('unknown_device', 'This device is not enrolled in the account.', true);
    if (standing === 'revoked') throw new Refusal('revoked', 'This device was removed from the account.', true);
    this.role = standing;
    this.claimed = { accountId: msg.accountId, deviceId: msg.deviceId };
    this.nonce = randomNonce();
    this.state = 'challenged';
    this.send({ t: 'challenge', id: msg.id, nonce: this.nonce, relayKey: this.ctx.identity.publicKey, authority: this.authority });
  }

  private async auth(msg: ClientMessageOf<'auth'>): Promise<void> {
    const nonce = this.nonce;
    const claimed = this.claimed;
    this.nonce = null; // one answer per challenge, right or wrong
    if (this.state !== 'challenged' || !nonce || !claimed) throw new Refusal('auth_failed', 'No challenge is outstanding on this connection (send hello first; a challenge is answered once).', true);
    const ok = verifyEd25519(msg.sig, authStatement({ nonce, accountId: claimed.accountId, deviceId: claimed.deviceId, authority: this.authority }), claimed.deviceId);
    const tags = { acct: this.ctx.identity.tag(claimed.accountId), dev: this.ctx.identity.tag(claimed.deviceId) };
    if (!ok) {
      this.log.info({ ...tags, outcome: 'bad_signature' }, 'auth');
      throw new Refusal('auth_failed', 'The challenge signature does not verify with this device key for this relay.', true);
    }
    // Checked again: the list may have changed since hello.
    if ((await this.standing(claimed.accountId, claimed.deviceId)) !== this.role) throw new Refusal('revoked', 'This device was removed from the account.', true);
    this.accountId = claimed.accountId;
    this.deviceId = claimed.deviceId;
    if (!this.ctx.register(this)) {
      this.accountId = this.deviceId = null;
      throw new Refusal('too_many_connections', 'This account has too many open connections to this relay.', true);
    }
    this.state = 'authed';
    clearTimeout(this.authTimer);
    this.ctx.setFrameLimit(this.ws, this.ctx.limits.maxFrameBytes);
    this.resetIdle();
    this.log = this.log.child(tags);
    const now = this.ctx.now();
    await this.ctx.storage.touch(this.accountId, now);
    this.lastTouch = now;
    const account = await this.ctx.storage.account(this.accountId);
    this.log.info({ outcome: 'ok' }, 'auth');
    this.send({ t: 'welcome', id: msg.id, head: account?.head ?? 0, serverTime: now });
  }

  /**
   * The next version of the device list. Version 1 (the genesis) is signed by the account id's key and creates the
   * account — or, for an account made by protocol v1, migrates it: then it must come over a connection of one of
   * the account's active devices and list exactly those devices, so a removed device that kept the vault key cannot
   * choose who stays. Every later version must be signed by a device on the current version or its recovery
   * authority and follow it; storage applies it atomically (compare-and-set on the version).
   */
  private async setDevices(msg: ClientMessageOf<'setDevices'>): Promise<void> {
    const { list } = msg;
    const { storage } = this.ctx;
    const accountId = list.accountId;
    const lists = await storage.deviceLists(accountId);
    const current = lists.at(-1) ?? null;
    const tags = { acct: this.ctx.identity.tag(accountId), v: list.version };
    // Cheap admission checks (new accounts per address, invite gate, quotas) before any signature work.
    refuseIf(await this.ctx.admission.enroll(accountId, this.peer));
    if (current && !mayAct(current, list.signer)) {
      const standing = await this.standing(accountId, list.signer);
      this.log.info({ ...tags, outcome: standing }, 'set devices');
      if (standing === 'revoked') throw new Refusal('revoked', 'This device was removed from the account; it cannot change the device list.');
      throw new Refusal('auth_failed', 'The device list is not signed by a device on the account\'s current list.');
    }
    if (current && list.version !== current.version + 1) throw new Refusal('conflict', `The device list is at version ${current.version}; fetch it and sign the next version.`);
    const why = listStepError(verifyEd25519, accountId, current, list);
    if (why) throw new Refusal('auth_failed', `The device list was refused: ${why}.`);
    if (!current && (await storage.account(accountId))) {
      const active = (await storage.devices(accountId)).filter((d) => d.revokedAt === null);
      const same = active.length === list.devices.length && active.every((d) => list.devices.some((x) => equalBytes(x, d.deviceId)));
      if (!this.authed || !equalBytes(this.accountId!, accountId) || this.role !== 'device') throw new Refusal('auth_failed', 'Migrating this account to a device list needs a connection of one of its devices.');
      if (!same) throw new Refusal('conflict', 'Migrating this account to a device list must list exactly its active devices.');
    }
    const r = await storage.putDeviceList(accountId, list, this.ctx.now());
    this.log.info({ ...tags, outcome: r.ok ? 'stored' : r.reason, removed: r.ok ? r.removed.length : 0 }, 'set devices');
    if (!r.ok) {
      if (r.reason === 'revoked') throw new Refusal('revoked', 'A removed device cannot be added again; make a new device key.');
      if (r.reason === 'wiped') throw new Refusal('wiped', 'This account was wiped; it cannot be used again.');
      throw new Refusal('conflict', 'The device list changed meanwhile; fetch it and sign the next version.');
    }
    for (const deviceId of r.removed) await storage.publish({ type: 'revoked', accountId, deviceId, origin: this.connId });
    this.send({ t: 'done', id: msg.id });
  }

  private async wipe(msg: ClientMessageOf<'wipe'>): Promise<void> {
    const { marker } = msg;
    if (marker.authority !== this.authority) throw new Refusal('auth_failed', `The wipe is addressed to ${marker.authority}, not to this relay (${this.authority}).`);
    const current = (await this.ctx.storage.deviceLists(marker.accountId)).at(-1);
    if (!current || !mayAct(current, marker.signer)) {
      if ((await this.standing(marker.accountId, marker.signer)) === 'revoked') throw new Refusal('revoked', 'This device was removed from the account; it cannot wipe it.');
      if (!(await this.ctx.storage.account(marker.accountId)) && !(await this.ctx.storage.wipeRecord(marker.accountId))) throw new Refusal('unknown_account', 'This relay holds nothing for this account.');
      if (!(await this.ctx.storage.wipeRecord(marker.accountId))) throw new Refusal('auth_failed', 'The wipe is not signed by a device on the account\'s current list.');
    }
    if (!verifyEd25519(marker.sig, wipeStatement(marker), marker.signer)) throw new Refusal('auth_failed', 'The wipe signature does not verify.');
    const r = await this.ctx.storage.wipe(marker, this.ctx.now());
    const acct = this.ctx.identity.tag(marker.accountId);
    if (r === 'unknown_account') throw new Refusal('unknown_account', 'This relay holds nothing for this account.');
    this.log.info({ acct, counts: r.counts, outcome: 'wiped' }, 'wipe');
    const unsigned = { accountId: r.marker.accountId, wipedAt: r.wipedAt, counts: r.counts, markerSig: r.marker.sig, relayKey: this.ctx.identity.publicKey };
    const receipt = { ...unsigned, sig: await this.ctx.identity.sign(receiptStatement(unsigned)) };
    this.send({ t: 'receipt', id: msg.id, receipt, marker: r.marker });
    await this.ctx.storage.publish({ type: 'wiped', accountId: marker.accountId, origin: this.connId });
    if (this.accountId && equalBytes(this.accountId, marker.accountId)) this.close(1000, 'wiped');
  }

  private async write(msg: ClientMessageOf<'upload' | 'snapshot' | 'tombstone'>): Promise<void> {
    const accountId = this.requireDevice();
    if (!equalBytes(msg.deviceId, this.deviceId!)) throw new Refusal('auth_failed', 'Items must name the device that authenticated this connection.');
    const kind = msg.t === 'upload' ? 'update' : msg.t;
    const body = msg.t === 'tombstone' ? undefined : msg.body;
    const covers = msg.t === 'snapshot' ? msg.covers : [];
    // Counted now: a large body's memory moves to the verifier thread and back, and the view `body` is empty after.
    const bytes = body?.length ?? 0;
    refuseIf(await this.ctx.admission.write(accountId, kind, bytes));
    const large = bytes >= LARGE_STATEMENT_BYTES;
    if (large) {
      // Read while its address still had budget, but a forged frame from the address has since been caught: refused
      // before any hashing while the address pays for it, so frames already in flight do not each cost a verification.
      const paying = this.ctx.addresses.penalty(this.peer.address);
      if (paying > 0) throw new Refusal('rate_limited', 'Too much data from your network address; slow down.', false, paying);
    }
    let item: Omit<SignedItem, 'body'> & { body: Uint8Array | undefined } = { kind, accountId, docId: msg.docId, deviceId: msg.deviceId, deviceSeq: msg.deviceSeq, body, covers, sig: msg.sig };
    let ok: boolean;
    // A large body's statement is built and hashed on the verifier thread; the frame's memory goes there and back.
    if (large) ({ ok, item } = await verifyLargeItem(item as SignedItem));
    else ok = verifyEd25519(msg.sig, itemStatement(item), msg.deviceId);
    if (!ok) {
      // Honest devices never send one; making forged bodies expensive for their sender keeps them cheap for us.
      this.ctx.addresses.penalize(this.peer.address, bytes * this.ctx.limits.badSignaturePenalty);
      throw new Refusal('auth_failed', 'The item signature does not verify with this device key.');
    }
    const r = await this.ctx.storage.write(accountId, { kind, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body, covers: item.covers, sig: item.sig }, this.ctx.limits.maxBytesPerAccount);
    if (!r.ok) {
      const [code, message, fatal] = writeRefusals[r.reason];
      throw new Refusal(code, message, fatal);
    }
    if (!r.duplicate) this.ctx.admission.stored(bytes);
    this.log.debug({ t: msg.t, bytes, seq: r.item.serverSeq, duplicate: r.duplicate, removed: r.removed }, 'stored');
    this.send({ t: 'ack', id: msg.id, serverSeq: r.item.serverSeq, duplicate: r.duplicate, removed: r.removed });
    if (!r.duplicate) await this.ctx.storage.publish({ type: 'item', accountId, serverSeq: r.item.serverSeq, origin: this.connId, item: r.item });
    const now = this.ctx.now();
    if (now - this.lastTouch > TOUCH_EVERY_MS) {
      this.lastTouch = now;
      await this.ctx.storage.touch(accountId, now);
    }
  }

  private async pull(msg: ClientMessageOf<'pull'>): Promise<void> {
    const accountId = this.requireDevice();
    const { limits, storage } = this.ctx;
    // Head first: every item up to it is committed, so a client that moves its cursor to `head` when `more` is
    // false can never skip an item committed while this pull ran (that one gets a higher number).
    const head = (await storage.account(accountId))?.head ?? 0;
    const limit = Math.min(msg.limit ?? limits.pullMaxItems, limits.pullMaxItems);
    const items = await storage.itemsAfter(accountId, msg.after, limit, limits.pullMaxBytes);
    const last = items.at(-1)?.serverSeq ?? head;
    this.send({ t: 'items', id: msg.id, items, head, more: items.length > 0 && (last < head || items.length >= limit) });
  }

  private async pairPut(msg: ClientMessageOf<'pairPut'>): Promise<void> {
    const accountId = this.requireDevice();
    const r = await this.ctx.storage.putPairing(accountId, msg.mailbox, msg.body, this.ctx.now() + msg.ttlMs, this.ctx.limits.maxBytesPerAccount);
    this.log.info({ t: msg.t, bytes: msg.body.length, outcome: r }, 'pairing');
    if (r === 'exists') throw new Refusal('exists', 'This pairing mailbox is already in use; make a new code.');
    if (r === 'quota') throw new Refusal('quota', 'The account has used all the storage this relay allows.');
    if (r === 'unknown_account') throw new Refusal('unknown_account', 'This account does not exist on this relay (any more).', true);
    this.send({ t: 'done', id: msg.id });
  }
}
