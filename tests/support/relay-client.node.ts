/**
 * Test-side helpers for the relay: real Ed25519 keys (libsodium), accounts and devices, connecting and
 * authenticating with the protocol client, and running the relay as a child process (`npm run relay`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sodiumModule from 'libsodium-wrappers-sumo';
import WebSocket from 'ws';
import { testAddressLimits } from './relay-harness.node.ts';
import { RelayConnection, RelayError, type ConnectOptions } from '../../shared/sync/client.std.ts';
import type { DeviceList, Item, WipeMarker, WipeReceipt } from '../../shared/sync/messages.std.ts';
import type { Signer, Verifier } from '../../shared/sync/signing.std.ts';

await sodiumModule.ready;
export const sodium = sodiumModule;

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  sign: Signer;
}
export function newKeys(): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, secretKey: privateKey, sign: (m) => sodium.crypto_sign_detached(m, privateKey) };
}
export const verify: Verifier = (sig, message, publicKey) => {
  try {
    return sodium.crypto_sign_verify_detached(sig, message, publicKey);
  } catch {
    return false;
  }
};
export const randomId = (): Uint8Array => sodium.randombytes_buf(32);

export interface TestAccount {
  keys: KeyPair;
  accountId: Uint8Array;
  /** The newest device-list version this helper signed, and the keys of the devices on it. */
  list: DeviceList | null;
  members: KeyPair[];
}
export const newAccount = (): TestAccount => {
  const keys = newKeys();
  return { keys, accountId: keys.publicKey, list: null, members: [] };
};

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Signs and sends the account's next device-list version with `members` on it: version 1 with the account key,
 * later ones with the first device of the current version (or `signer`).
 */
export async function setMembers(url: string, account: TestAccount, members: KeyPair[], signer?: KeyPair, options: ConnectOptions = {}): Promise<void> {
  const sorted = [...members].sort((a, b) => hexOf(a.publicKey).localeCompare(hexOf(b.publicKey)));
  const by = signer ?? (account.list ? account.members[0]! : account.keys);
  const c = await RelayConnection.connect(url, options);
  try {
    account.list = await c.setDevices({
      accountId: account.accountId,
      version: (account.list?.version ?? 0) + 1,
      prev: account.list?.sig ?? new Uint8Array(64),
      devices: sorted.map((m) => m.publicKey),
      recovery: account.list?.recovery ?? null,
      signer: by.publicKey,
      sign: by.sign,
    });
    account.members = sorted;
  } finally {
    c.close();
  }
}

/** Wipes the account with the first device on its list (or `signer`). */
export function wipeAccount(c: RelayConnection, account: TestAccount, signer: KeyPair = account.members[0]!, issuedAt?: number): Promise<{ receipt: WipeReceipt; marker: WipeMarker }> {
  return c.wipe({ accountId: account.accountId, signer: signer.publicKey, sign: signer.sign, ...(issuedAt === undefined ? {} : { issuedAt }) });
}

export interface TestDevice {
  account: TestAccount;
  keys: KeyPair;
  deviceId: Uint8Array;
}

/** Adds a new device key to the account's device list (over its own short connection). */
export async function enrollDevice(url: string, account: TestAccount, options: ConnectOptions = {}): Promise<TestDevice> {
  const keys = newKeys();
  await setMembers(url, account, [...account.members, keys], undefined, options);
  return { account, keys, deviceId: keys.publicKey };
}

/** Takes a device off the account's device list. */
export async function removeFromList(url: string, account: TestAccount, deviceId: Uint8Array, signer?: KeyPair): Promise<void> {
  await setMembers(url, account, account.members.filter((m) => hexOf(m.publicKey) !== hexOf(deviceId)), signer);
}

/**
 * Connects from another loopback address (127.0.0.2, 127.0.0.3…: Linux routes all of 127/8 to lo), so tests of
 * per-address limits can play a second party on the same machine.
 */
export const fromAddress = (localAddress: string): ConnectOptions => ({
  socket: (url) => new WebSocket(url, { localAddress }) as unknown as ReturnType<NonNullable<ConnectOptions['socket']>>,
});

/** The RelayError a promise rejects with (anything else is rethrown; fulfilling fails the test). */
export async function relayRefusal(p: Promise<unknown>): Promise<RelayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** Connects and authenticates an enrolled device. */
export async function connectDevice(url: string, device: TestDevice, options: ConnectOptions = {}): Promise<RelayConnection> {
  const c = await RelayConnection.connect(url, options);
  await c.authenticate({ accountId: device.account.accountId, deviceId: device.deviceId, sign: device.keys.sign });
  return c;
}

/** A connection that records how it ended (close code and reason) and the wipe marker pushed to it, if any. */
export interface WatchedConnection {
  c: RelayConnection;
  closed: { code: number; reason: string } | null;
  marker: WipeMarker | null;
}
export async function watchConnection(url: string, options: ConnectOptions = {}): Promise<WatchedConnection> {
  const w: WatchedConnection = { c: null as unknown as RelayConnection, closed: null, marker: null };
  w.c = await RelayConnection.connect(url, { ...options, onClose: (code, reason) => (w.closed = { code, reason }), onWiped: (m) => (w.marker = m) });
  return w;
}
/** watchConnection, authenticated as `d`. */
export async function watchDevice(url: string, d: Pick<TestDevice, 'account' | 'keys' | 'deviceId'>, options: ConnectOptions = {}): Promise<WatchedConnection> {
  const w = await watchConnection(url, options);
  await w.c.authenticate({ accountId: d.account.accountId, deviceId: d.deviceId, sign: d.keys.sign });
  return w;
}

/** Resolves with the next pushed item(s), for live-push tests. */
export function pushCollector(): { options: ConnectOptions; next: (n?: number, timeoutMs?: number) => Promise<Item[]> } {
  const got: Item[] = [];
  let wake: (() => void) | null = null;
  return {
    options: { onPush: (item) => { got.push(item); wake?.(); } },
    next: async (n = 1, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} pushed item(s), got ${got.length}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return got.splice(0, n);
    },
  };
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
const nodeBin = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

export interface RelayProcess {
  url: string;
  child: ChildProcess;
  /** Every stdout/stderr line the relay printed so far. */
  output: string[];
  exited: Promise<number | null>;
}

/** Starts `sync-server/main.node.ts` on a free port and waits for its "relay listening" log line (log level info or lower). */
export async function spawnRelay(args: string[]): Promise<RelayProcess> {
  // Every test client connects from 127.0.0.1: lift the per-address limits meant for the internet (as the in-process
  // harness does); tests of those limits set their own.
  const lifted = Object.entries(testAddressLimits).flatMap(([k, v]) => ['--limit', `${k}=${v}`]);
  const child = spawn(nodeBin, ['--disable-warning=ExperimentalWarning', 'sync-server/main.node.ts', '--port', '0', ...lifted, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output.join('\n')}`)), 120_000);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'relay listening' && j.url) {
            clearTimeout(timer);
            resolve(j.url);
          }
        } catch {
          // not a log line
        }
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    void exited.then((code) => reject(new Error(`relay exited with ${code}:\n${output.join('\n')}`)));
  });
  return { url, child, output, exited };
}
