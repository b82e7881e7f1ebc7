/**
 * A deliberately thin device for load benchmarks, so that 1,000 of them fit in one bench process on two cores:
 * a raw `ws` socket, authentication through the real protocol messages, then pre-encoded, pre-signed upload frames
 * sent as they are, and incoming frames read only as far as their JSON header (no blob copies, no schema checks).
 * Correctness of the protocol is the test suite's business (tests/relay); this measures the relay.
 */
import { WebSocket } from 'ws';
import { decodeRelayMessage, encodeMessage, PROTOCOL_VERSION } from '../../../shared/sync/messages.std.ts';
import { authStatement, relayAuthority } from '../../../shared/sync/signing.std.ts';
import { sodium } from '../../support/relay-client.node.ts';

export interface DeviceKeys {
  accountId: Uint8Array;
  deviceId: Uint8Array;
  secretKey: Uint8Array;
}

export interface FrameHeader {
  t?: string;
  id?: number | null;
  code?: string;
  deviceSeq?: number;
  item?: { deviceSeq?: number };
}

/** Reads only the JSON header of a relay frame: version (1) ‖ header length (u32 BE) ‖ header. */
export function headerOf(frame: Buffer): FrameHeader | null {
  if (frame.length < 5 || frame[0] !== 1) return null;
  const length = frame.readUInt32BE(1);
  return JSON.parse(frame.toString('utf8', 5, 5 + length)) as FrameHeader;
}

export class LightSocket {
  readonly ws: WebSocket;
  /** Called for every frame once the socket is set up; `at` is performance.now() on arrival. */
  onFrame: ((frame: Buffer, at: number) => void) | null = null;
  private waiting: ((frame: Buffer) => void) | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(data);
      } else this.onFrame?.(data, at);
    });
  }

  static open(url: string): Promise<LightSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new LightSocket(ws)));
      ws.once('error', reject);
    });
  }

  private next(timeoutMs = 20_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from the relay')), timeoutMs);
      this.waiting = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }

  /** hello → challenge → auth → welcome, with the real messages and a real Ed25519 signature. */
  async authenticate(url: string, keys: DeviceKeys): Promise<void> {
    const authority = relayAuthority(url);
    this.ws.send(encodeMessage({ t: 'hello', id: 1, protocol: PROTOCOL_VERSION, accountId: keys.accountId, deviceId: keys.deviceId }));
    const challenge = decodeRelayMessage(await this.next());
    if (!challenge.ok || challenge.message.t !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(challenge.ok ? challenge.message.t : challenge.message)}`);
    const sig = sodium.crypto_sign_detached(authStatement({ nonce: challenge.message.nonce, accountId: keys.accountId, deviceId: keys.deviceId, authority }), keys.secretKey);
    this.ws.send(encodeMessage({ t: 'auth', id: 2, sig }));
    const welcome = decodeRelayMessage(await this.next());
    if (!welcome.ok || welcome.message.t !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome.ok ? welcome.message : welcome.message)}`);
  }

  send(frame: Uint8Array): void {
    this.ws.send(frame);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
