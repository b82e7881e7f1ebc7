/**
 * The sync engine: one per unlocked vault. Programmatic API (docs/sync-client.md):
 *
 *   const engine = createSyncEngine({ session, store, onChange, onStatus, onWiped });
 *   await engine.enable({ relayUrl });   // once: joins the device list, pins the relay key
 *   await engine.syncOnce();             // push the outbox, pull after the cursor → { up, down, … }
 *   engine.watch();                      // stay connected: live pushes, local changes, backoff when offline
 *   await engine.close();
 *
 * Every operation on the replica runs one at a time (#exclusive), so a round, a live push and a local change never
 * interleave.
 */
import type { SyncStatusView } from '../../../shared/api/sync.std.ts';
import { RelayConnection, RelayError, type SocketFactory } from '../../../shared/sync/client.std.ts';
import type { DeviceList, Item, WipeMarker } from '../../../shared/sync/messages.std.ts';
import { equalBytes, relayAuthority } from '../../../shared/sync/signing.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { toHex } from '../crypto/sodium.node.ts';
import type { VaultSession } from '../session.node.ts';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.node.ts';
import { commitBatch, pendingSummary, processBatch, repairFrom, retryPending } from './batch.node.ts';
import { checkMarker, checkRelayUrl, forgedMarker, openConnection, WipedError } from './connection.node.ts';
import { reapplyHeld } from './inbound.node.ts';
import { changeList, genesisList } from './devices.node.ts';
import { newDeviceSeed, signingKeysFromSeed, type SigningKeys } from './keys.node.ts';
import { queueHeadStatement } from './freshness.node.ts';
import { Capture, prepare, reconcile } from './outbox.node.ts';
import { Replica, type Problem } from './replica.node.ts';
import type { SyncStore } from './store.node.ts';
import { uploadOutbox } from './upload.node.ts';

export interface SyncEngineOptions {
  session: VaultSession;
  store: SyncStore;
  /** WebSocket factory (tests put a hostile proxy here); the standard global WebSocket by default. */
  socket?: SocketFactory;
  /** Records changed by items from other devices. */
  onChange?: (ids: string[]) => void;
  onStatus?: (status: SyncStatus) => void;
  /** A verified wipe marker arrived: the owner wipes the local vault (wipe.node.ts). */
  onWiped?: (marker: WipeMarker) => void | Promise<void>;
  backoff?: BackoffOptions;
  /** How long watch mode waits between idle checks. */
  idleMs?: number;
  /**
   * Live sync publishes a head statement (freshness.node.ts) at most this often after sending changes, so a peer
   * can tell a withheld newest change without waiting for a round. Default 2 s.
   */
  statementDelayMs?: number;
}

export interface RoundResult {
  /** Items this device uploaded. */
  up: number;
  /** Items from other devices applied here. */
  down: number;
  /** Items waiting for earlier ones (gaps), and items refused. */
  pending: number;
  quarantined: number;
  cursor: number;
  problems: Problem[];
}

export type SyncState = SyncStatusView['state'];

/** What the engine knows of itself; the API adds what lives outside it (pending wipe, recovery). */
export type SyncStatus = Omit<SyncStatusView, 'pendingWipe' | 'recoveryReady'>;

export class SyncEngine {
  readonly replica: Replica;
  readonly capture: Capture;
  readonly #o: SyncEngineOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #ready = false;
  #state: SyncState;
  #lastSyncAt: number | undefined;
  #lastError: { code: string; message: string } | undefined;
  #retryInMs: number | undefined;
  #watch: Promise<void> | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;
  #pushed: Item[] = [];
  #localWork = false;
  #statementDue = false;
  #statementTimer: ReturnType<typeof setTimeout> | null = null;
  #conn: RelayConnection | null = null;
  #closed = false;

  constructor(o: SyncEngineOptions) {
    this.#o = o;
    this.replica = new Replica(o.session, o.store);
    this.replica.onChange = (ids) => o.onChange?.(ids);
    this.capture = new Capture(this.replica, () => {
      this.#localWork = true;
      this.#wake?.();
    });
    this.#state = this.replica.enabled ? 'idle' : 'off';
  }

  get enabled(): boolean {
    return this.replica.enabled;
  }

  get session(): VaultSession {
    return this.#o.session;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #setState(s: SyncState): void {
    this.#state = s;
    this.#o.onStatus?.(this.status());
  }

  status(): SyncStatus {
    const r = this.replica;
    const base: SyncStatus = { enabled: r.enabled, state: this.#state, outbox: 0, pending: 0, quarantined: 0, cursor: 0, problems: r.problems.slice(-20) };
    if (!r.enabled || this.#closed) return base;
    // Removed from the account: nothing here will sync again, whatever state the loop was in.
    if (r.removed) base.state = 'removed';
    const pend = pendingSummary(r);
    return {
      ...base,
      relayUrl: r.config.relayUrl,
      accountId: toHex(r.keys.accountId),
      deviceId: r.deviceHex,
      outbox: r.store.outboxCount() + r.store.raws(100_000).length + this.capture.queued,
      pending: pend.count,
      ...(pend.message ? { pendingMessage: pend.message } : {}),
      quarantined: r.store.quarantine().length,
      cursor: r.state.cursor,
      ...(this.#lastSyncAt ? { lastSyncAt: this.#lastSyncAt } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(this.#retryInMs !== undefined ? { retryInMs: this.#retryInMs } : {}),
      ...(r.freshness.message ? { withheld: r.freshness.message } : {}),
    };
  }

  /**
   * Joins this device to the relay and pins the relay's key. Three ways (docs/sync-client.md, "Devices and removal"):
   * - nothing given: the first device of a new account; version 1 of the device list (this device alone) is
   *   signed with the account id's key, which creates the account. Refused when the account already exists.
   * - `deviceSeed`: a device key another device put on the list, or signed the version that does (`admit`,
   *   pairing), which is sent first.
   * - `enrolWith`: the recovery authority (from the recovery key) adds a new device key to the list.
   */
  enable(a: { relayUrl: string; expectRelayKey?: Uint8Array; deviceSeed?: Uint8Array; admit?: DeviceList; enrolWith?: SigningKeys }): Promise<{ accountId: string; deviceId: string; relayKey: string }> {
    return this.#exclusive(async () => {
      const r = this.replica;
      const relayUrl = checkRelayUrl(a.relayUrl);
      if (r.enabled) {
        if (r.config.relayUrl !== relayUrl) throw new MindstageError('exists', `Sync is already enabled with ${r.config.relayUrl}.`);
        return { accountId: toHex(r.keys.accountId), deviceId: r.deviceHex, relayKey: toHex(r.config.relayKey) };
      }
      const seed = a.deviceSeed ?? newDeviceSeed();
      const device = signingKeysFromSeed(seed);
      const enrolledAt = Date.now();
      try {
        if (a.enrolWith) await this.#enrolWith(relayUrl, a.enrolWith, device.publicKey);
        const conn = await dial(relayUrl, this.#o.socket);
        try {
          if (!a.deviceSeed && !a.enrolWith) {
            await conn.setDevices(genesisList(r, [device.publicKey])).catch((e: unknown) => {
              if (e instanceof RelayError && e.relayCode === 'conflict') {
                throw new MindstageError('exists', 'This vault already syncs with that relay from another device. Add this device by pairing it from that device instead.');
              }
              throw e;
            });
          }
          if (a.admit) {
            await conn.sendDevices(a.admit).catch((e: unknown) => {
              if (e instanceof RelayError && e.relayCode === 'conflict') {
                throw new MindstageError('not_found', 'This pairing code no longer fits: your devices changed after it was made (a device was added or removed). Make a new code on the other device.');
              }
              throw e;
            });
          }
          const { relayKey } = await conn.authenticate({ accountId: r.keys.accountId, deviceId: device.publicKey, sign: device.sign });
          if (a.expectRelayKey && toHex(a.expectRelayKey) !== toHex(relayKey)) {
            throw new MindstageError('integrity', `The relay at ${relayAuthority(relayUrl)} is not the one the other device uses (its key differs). Nothing was sent.`);
          }
          r.setDevices(await conn.devices());
          r.setConfig({ relayUrl, relayKey, deviceSeed: seed, enrolledAt });
        } finally {
          conn.close();
        }
        this.#prepareOnce();
        this.#setState('idle');
        return { accountId: toHex(r.keys.accountId), deviceId: toHex(device.publicKey), relayKey: toHex(r.config.relayKey) };
      } catch (e) {
        if (e instanceof RelayError && e.relayCode === 'wiped') throw new MindstageError('network', 'This account was wiped on that relay; a wiped account stays closed. Create a new vault to sync again.');
        throw e;
      } finally {
        device.secretKey.fill(0);
      }
    });
  }

  /** The recovery authority connects as itself, reads the list and signs the next version with `device` added. */
  async #enrolWith(relayUrl: string, authority: SigningKeys, device: Uint8Array): Promise<void> {
    const r = this.replica;
    const conn = await dial(relayUrl, this.#o.socket);
    try {
      await conn.authenticate({ accountId: r.keys.accountId, deviceId: authority.publicKey, sign: authority.sign }).catch((e: unknown) => {
        if (e instanceof RelayError && (e.relayCode === 'unknown_device' || e.relayCode === 'unknown_account')) {
          throw new MindstageError('not_found', 'This account\'s device list does not name this recovery key (recovery was set up before device lists, or on another relay). Set it up again from a device with "sync enable --recovery-key".');
        }
        throw e;
      });
      await changeList(r, conn, { add: device }, authority);
    } finally {
      conn.close();
    }
  }

  #prepareOnce(): void {
    if (this.#ready) return;
    reapplyHeld(this.replica);
    reconcile(this.replica, this.capture);
    this.#ready = true;
  }

  /** Opens an authenticated connection (for devices, pairing and wipe operations). */
  connect(handlers: Parameters<typeof openConnection>[2] = {}): Promise<RelayConnection> {
    this.#requireEnabled();
    return openConnection(this.replica, this.#o.socket, handlers);
  }

  #requireEnabled(): void {
    if (!this.replica.enabled) throw new MindstageError('not_found', 'Sync is not turned on for this device yet.');
    if (this.#closed) throw new MindstageError('internal', 'The sync engine was closed.');
  }

  /** Runs fn with the replica to itself (used by devices, pairing and wipe). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#exclusive(fn);
  }

  /** One round: upload everything waiting, download everything new, upload what that made due (snapshots). */
  syncOnce(): Promise<RoundResult> {
    this.#requireEnabled();
    return this.#exclusive(async () => {
      this.#setState('syncing');
      let conn: RelayConnection | null = null;
      try {
        conn = await openConnection(this.replica, this.#o.socket, {
          onWiped: () => undefined, // answered on the pending request, handled below
        });
        const result = await this.#round(conn);
        this.#lastError = undefined;
        // A round run by hand while live sync is on must not report live sync as off.
        this.#setState(this.#watch ? 'watching' : 'idle');
        return result;
      } catch (e) {
        return await this.#failed(e);
      } finally {
        conn?.close();
      }
    });
  }

  async #failed(e: unknown): Promise<never> {
    if (e instanceof WipedError) {
      await this.#wiped(e.marker);
      throw e;
    }
    const shape = e instanceof MindstageError ? { code: e.code, message: e.message } : { code: 'internal', message: 'sync failed unexpectedly' };
    this.#lastError = shape;
    if (shape.code === 'device_removed') this.#stopped = true;
    this.#setState(shape.code === 'device_removed' ? 'removed' : this.#watch ? 'offline' : 'idle');
    throw e;
  }

  async #round(conn: RelayConnection): Promise<RoundResult> {
    const r = this.replica;
    const before = r.problems.length;
    this.#prepareOnce();
    this.capture.flush();
    prepare(r);
    let up = await uploadOutbox(r, conn);
    const quarantinedBefore = Math.max(0, ...r.store.quarantine().map((q) => q.serverSeq));
    let down = await this.#pull(conn);
    const from = repairFrom(r, quarantinedBefore);
    if (from !== null) down += await this.#repair(conn, from);
    this.capture.flush();
    prepare(r);
    // Head statements are bookkeeping: sent after this round's items, not counted as something that moved.
    const stated = queueHeadStatement(r) ? 1 : 0;
    up += (await uploadOutbox(r, conn)) - stated;
    r.freshness.check(r);
    this.#lastSyncAt = Date.now();
    return {
      up,
      down,
      pending: r.store.pending().length,
      quarantined: r.store.quarantine().length,
      cursor: r.state.cursor,
      problems: r.problems.slice(before),
    };
  }

  async #pull(conn: RelayConnection): Promise<number> {
    const r = this.replica;
    let applied = 0;
    // The next page is asked for while this one is applied (the relay reads and sends while we verify and write).
    // It starts after the highest item of this page, which is where the cursor stands once this page is committed;
    // if applying fails, the request is abandoned (its answer is dropped, its error swallowed here).
    let next = conn.pull(r.state.cursor);
    for (;;) {
      const page = await next;
      // A relay whose head is now below what it already served this device shows it an older state.
      r.freshness.sawHead(page.head, r.state.cursor);
      const after = page.items.reduce((m, i) => Math.max(m, i.serverSeq), r.state.cursor);
      if (page.more) {
        next = conn.pull(after);
        next.catch(() => {});
      }
      // Never judged against the list fetched when the connection opened: a device enrolled since then (a phone
      // paired while this one was in live sync) would be refused for good as "never enrolled". An unknown writer
      // makes #apply fetch the list again before deciding.
      applied += await this.#apply(conn, page.items, page.more ? undefined : page.head);
      if (!page.more) return applied;
      if (r.state.cursor !== after) next = conn.pull(r.state.cursor);
    }
  }

  /** Pulls again from `from` (before the cursor) once, to fill gaps; duplicates are ignored by the chain checks. */
  async #repair(conn: RelayConnection, from: number): Promise<number> {
    let applied = 0;
    for (let after = from; ; ) {
      const page = await conn.pull(after);
      applied += await this.#apply(conn, page.items, undefined, true);
      after = page.items.at(-1)?.serverSeq ?? after;
      if (!page.more) return applied;
    }
  }

  /** Applies a page; an item from a device not on the list held waits until the list is fetched again, then is judged. */
  async #apply(conn: RelayConnection, items: Item[], head?: number, repair = false): Promise<number> {
    const r = this.replica;
    const batch = processBatch(r, items, false, repair);
    const fx = batch.fx;
    let cursor = batch.cursor;
    if (fx.needDevices) {
      r.setDevices(await conn.devices());
      retryPending(r, fx, true);
    }
    if (head !== undefined) cursor = Math.max(cursor, head);
    commitBatch(r, fx, cursor, this.capture);
    return fx.applied;
  }

  async #wiped(marker: WipeMarker): Promise<void> {
    this.#stopped = true;
    this.#setState('wiped');
    await this.#o.onWiped?.(marker);
  }

  /** Stays connected in the background until close(): live pushes in, local changes out, backoff when offline. */
  watch(): void {
    this.#requireEnabled();
    if (this.#watch) return;
    this.#stopped = false;
    this.#watch = this.#watchLoop().finally(() => {
      this.#watch = null;
    });
  }

  get watching(): boolean {
    return this.#watch !== null;
  }

  async stopWatch(): Promise<void> {
    this.#stopped = true;
    if (this.#statementTimer) clearTimeout(this.#statementTimer);
    this.#statementTimer = null;
    this.#wake?.();
    this.#conn?.close();
    await this.#watch;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    }).finally(() => {
      this.#wake = null;
    });
  }

  async #watchLoop(): Promise<void> {
    const backoff = this.#o.backoff ?? defaultBackoff;
    let attempt = 0;
    let wipedMarker: WipeMarker | null = null;
    while (!this.#stopped) {
      try {
        const conn = await this.#exclusive(() =>
          openConnection(this.replica, this.#o.socket, {
            onPush: (item) => {
              this.#pushed.push(item);
              this.#wake?.();
            },
            onWiped: (marker) => {
              wipedMarker = marker;
              this.#wake?.();
            },
            onClose: () => this.#wake?.(),
          }),
        );
        this.#conn = conn;
        await this.#exclusive(() => this.#round(conn));
        attempt = 0;
        this.#retryInMs = undefined;
        this.#lastError = undefined;
        this.#setState('watching');
        while (conn.isOpen && !this.#stopped) {
          if (wipedMarker) break;
          if (this.#pushed.length === 0 && !this.#localWork && !this.#statementDue) await this.#sleep(this.#o.idleMs ?? 30_000);
          if (wipedMarker || this.#stopped || !conn.isOpen) break;
          await this.#exclusive(() => this.#live(conn));
        }
        conn.close();
        if (wipedMarker) {
          if (checkMarker(this.replica, wipedMarker)) throw new WipedError(wipedMarker);
          throw forgedMarker();
        }
      } catch (e) {
        this.#conn?.close();
        if (e instanceof WipedError) {
          await this.#wiped(e.marker);
          return;
        }
        this.#lastError = e instanceof MindstageError ? { code: e.code, message: e.message } : { code: 'internal', message: 'sync failed unexpectedly' };
        if (!(e instanceof MindstageError)) console.error(`[mindstage] sync: unexpected ${(e as Error)?.name ?? typeof e}`);
        if (e instanceof MindstageError && e.code === 'device_removed') {
          // No retry can help: the relay refuses this device for good.
          this.#stopped = true;
          this.#setState('removed');
          return;
        }
      }
      this.#conn = null;
      if (this.#stopped) break;
      const delay = backoffDelay(attempt++, backoff);
      this.#retryInMs = delay;
      this.#setState('offline');
      await this.#sleep(delay);
    }
    this.#setState(this.#closed ? 'closed' : 'idle');
  }

  /**
   * One step of watch mode: apply live pushes (or pull when one is missing), send local changes, and keep freshness
   * as current as in rounds: a statement follows sent changes (at most every statementDelayMs), and a peer's
   * statement arriving live is checked at once.
   */
  async #live(conn: RelayConnection): Promise<void> {
    const r = this.replica;
    const pushed = this.#pushed.splice(0).sort((a, b) => a.serverSeq - b.serverSeq);
    if (pushed.length) {
      const contiguous = pushed.every((it, i) => it.serverSeq === r.state.cursor + 1 + i || it.serverSeq <= r.state.cursor);
      const statements = pushed.some((it) => equalBytes(it.docId, r.keys.headsDocId));
      const before = r.freshness.message;
      const quarantinedBefore = Math.max(0, ...r.store.quarantine().map((q) => q.serverSeq));
      const pendingBefore = r.store.pending().length;
      if (contiguous) await this.#apply(conn, pushed);
      else await this.#pull(conn);
      // As in a round: a new gap or a refused item is pulled once more from just before it (the relay may serve it
      // now). Only when this step made one, so an item waiting for good does not cost a pull per push.
      const from = r.store.pending().length > pendingBefore || r.store.quarantine().length > 0 ? repairFrom(r, quarantinedBefore) : null;
      if (from !== null) await this.#repair(conn, from);
      // A statement arrived, or one was already telling of something missing that may have come now.
      if (statements || !contiguous || before) {
        r.freshness.check(r);
        if (r.freshness.message !== before) this.#setState('watching');
      }
    }
    if (this.#localWork) {
      this.#localWork = false;
      this.capture.flush();
      prepare(r);
      await uploadOutbox(r, conn);
      this.#statementTimer ??= setTimeout(() => {
        this.#statementTimer = null;
        this.#statementDue = true;
        this.#wake?.();
      }, this.#o.statementDelayMs ?? 2_000);
    }
    if (this.#statementDue) {
      this.#statementDue = false;
      if (queueHeadStatement(r)) await uploadOutbox(r, conn);
    }
    this.#lastSyncAt = Date.now();
  }

  /** Stops watching, writes what was captured, and zeroes the keys this engine derived. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.stopWatch();
    await this.#exclusive(async () => undefined);
    this.#closed = true;
    this.capture.close();
    this.replica.close();
    this.#o.store.close();
    this.#state = 'closed';
  }
}

export function createSyncEngine(o: SyncEngineOptions): SyncEngine {
  return new SyncEngine(o);
}

export async function dial(url: string, socket?: SocketFactory): Promise<RelayConnection> {
  checkRelayUrl(url);
  try {
    return await RelayConnection.connect(url, socket ? { socket } : {});
  } catch (e) {
    if (e instanceof RelayError) throw new MindstageError('network', `Cannot reach the sync relay at ${relayAuthority(url)}.`);
    throw e;
  }
}
