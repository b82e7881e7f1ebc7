/**
 * The attacker of the relay load test (attack.node.ts), run as its own process so its CPU is not the honest
 * device's: from three loopback addresses (flood; accounts and big frames; anonymous big frames — so that its own
 * flood does not simply lock it out of the rest) it floods the relay with connections and half-sent HTTP requests, creates
 * accounts as fast as it can, and sends maximum-size frames with bad signatures, before and after authenticating.
 * It stops by itself after the given duration (up to twice that while its flood is not complete) and prints one
 * JSON line: what it tried and every answer it got.
 *
 *   node attacker.node.ts <ws-url> <local-address> <duration-ms> <max-frame-bytes>
 */
import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import { RelayConnection, RelayError } from '../../../shared/sync/client.std.ts';
import { encodeMessage, decodeRelayMessage } from '../../../shared/sync/messages.std.ts';
import { enrollDevice, fromAddress, newAccount, randomId, type TestDevice } from '../../support/relay-client.node.ts';

const [url = '', floodAddress = '127.0.0.2', durationArg = '20000', maxFrameArg = String(16 * 1024 * 1024)] = process.argv.slice(2);
const duration = Number(durationArg);
const maxFrame = Number(maxFrameArg);
const octets = floodAddress.split('.');
const nextAddress = (n: number) => [...octets.slice(0, 3), String(Number(octets[3]) + n)].join('.');
const accountAddress = nextAddress(1);
const anonymousAddress = nextAddress(2);
const deadline = Date.now() + duration;
/**
 * A starved attacker (other work on the machine, and its nice 19) may not have opened its 3,000 connections by the
 * deadline: then everything goes on until it has, so the relay meets the whole attack, up to twice the duration.
 */
const FLOOD = 3_000;
const hardDeadline = Date.now() + 2 * duration;
// Bounded no matter what the relay does.
setTimeout(() => finish(), 2 * duration + 5_000).unref();

/** Answers by kind: relay error codes, HTTP statuses, WebSocket close codes, and "unclear" (closed with no reason). */
const answers: Record<string, number> = {};
const count = (what: string) => void (answers[what] = (answers[what] ?? 0) + 1);
const tried: Record<string, number> = { connections: 0, halfSent: 0, accounts: 0, badFrames: 0, anonymousBigFrames: 0 };
const sockets: { close: () => void }[] = [];
const running = () => Date.now() < hardDeadline && (Date.now() < deadline || tried['connections']! < FLOOD);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // already gone
    }
  }
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ tried, answers, cpuMs: Math.round((cpu.user + cpu.system) / 1000) })}\n`);
  process.exit(0);
}

/** One WebSocket that says hello-less nothing: the relay must time it out or refuse it, with a reason. */
function floodOne(): void {
  tried['connections']!++;
  const ws = new WebSocket(url, { localAddress: floodAddress });
  let answered = false;
  ws.on('message', (data) => {
    const d = decodeRelayMessage(new Uint8Array(data as Buffer));
    if (d.ok && d.message.t === 'error' && !answered) {
      answered = true;
      count(`connection: ${d.message.code}`);
    }
  });
  ws.on('unexpected-response', (_req, res) => {
    answered = true;
    count(`connection: HTTP ${res.statusCode}`);
    res.resume();
    ws.terminate();
  });
  let error = '';
  ws.on('error', (e) => (error ||= (e as { code?: string }).code ?? e.message));
  ws.on('close', (code) => {
    if (!answered) count(running() ? `connection: closed ${code}${error ? ` (${error})` : ''} without a reason` : 'connection: still open at the end');
  });
  sockets.push({ close: () => ws.terminate() });
}

function halfSent(port: number): void {
  tried['halfSent']!++;
  const s = netConnect({ host: new URL(url).hostname, port, localAddress: floodAddress });
  let first = '';
  s.on('connect', () => s.write('GET /health HTTP/1.1\r\nHost: relay\r\nX-Slow: '));
  s.on('data', (d) => (first ||= d.toString('latin1').slice(0, 12)));
  let error = '';
  s.on('error', (e) => (error ||= (e as { code?: string }).code ?? e.message));
  s.on('close', () => count(first.startsWith('HTTP/1.1 ') ? `half-sent request: HTTP ${first.slice(9, 12)}` : running() ? `half-sent request: closed${error ? ` (${error})` : ''} without a reason` : 'half-sent request: still open at the end'));
  sockets.push({ close: () => s.destroy() });
}

async function connectionFlood(): Promise<void> {
  const port = Number(new URL(url).port);
  // 3,000 WebSockets and 500 half-sent requests, 150 every 50 ms.
  while (running() && tried['connections']! < FLOOD) {
    for (let i = 0; i < 130; i++) floodOne();
    for (let i = 0; i < 20 && tried['halfSent']! < 500; i++) halfSent(port);
    await sleep(50);
  }
}

/** Enrols new accounts as fast as it likes; each account it gets starts four big-bad-frame connections at once. */
async function enrolAccounts(attacks: Promise<void>[]): Promise<void> {
  while (running()) {
    tried['accounts']!++;
    try {
      const device = await enrollDevice(url, newAccount(), fromAddress(accountAddress));
      count('enrol: account created');
      for (let i = 0; i < 4; i++) attacks.push(badFrames(device));
    } catch (e) {
      count(e instanceof RelayError ? `enrol: ${e.relayCode}` : 'enrol: failed without a reason');
    }
    await sleep(100);
  }
}

/** Maximum-size uploads with garbage signatures from one authenticated connection, one in flight at a time. */
async function badFrames(device: TestDevice): Promise<void> {
  let raw: WebSocket | null = null;
  let conn: RelayConnection;
  try {
    conn = await RelayConnection.connect(url, {
      socket: (u) => {
        const s = fromAddress(accountAddress).socket!(u);
        raw = s as unknown as WebSocket;
        return s;
      },
      onError: (e) => count(`big bad frame: ${e.relayCode} (unsolicited)`),
    });
    await conn.authenticate({ accountId: device.account.accountId, deviceId: device.deviceId, sign: device.keys.sign });
  } catch (e) {
    count(e instanceof RelayError ? `big-frame connection: ${e.relayCode}` : 'big-frame connection: failed without a reason');
    return;
  }
  sockets.push(conn);
  const body = new Uint8Array(maxFrame - 4096);
  for (let seq = 1; running() && conn.isOpen; seq++) {
    tried['badFrames']!++;
    const answer = conn.request({ t: 'upload', docId: randomId(), deviceId: device.deviceId, deviceSeq: seq, body, sig: new Uint8Array(64).fill(seq % 251) });
    answer.then(
      () => count('big bad frame: accepted (!)'),
      // A frame cut at its header while the address is paused ends the connection with 1009 (message too big).
      (e: unknown) => count(e instanceof RelayError ? `big bad frame: ${e.relayCode === 'closed' ? (/closed \((\d+)/.exec(e.message)?.[1] ? `close ${/closed \((\d+)/.exec(e.message)![1]}` : 'closed') : e.relayCode}` : 'big bad frame: failed without a reason'),
    );
    // Backpressure: wait while the relay is not reading (it paused this address), without piling up frames.
    while (running() && raw && (raw as WebSocket).bufferedAmount > 0) await sleep(20);
    await Promise.race([answer.catch(() => undefined), sleep(1_000)]);
  }
}

async function anonymousBigFrames(): Promise<void> {
  const frame = encodeMessage({ t: 'pairTake', id: 1, mailbox: new Uint8Array(maxFrame - 4096) });
  while (running() && tried['anonymousBigFrames']! < 10) {
    tried['anonymousBigFrames']!++;
    const ws = new WebSocket(url, { localAddress: anonymousAddress });
    sockets.push({ close: () => ws.terminate() });
    await new Promise<void>((resolve) => {
      ws.on('open', () => ws.send(frame));
      ws.on('unexpected-response', (_q, res) => (count(`anonymous big frame: HTTP ${res.statusCode}`), res.resume(), resolve()));
      ws.on('error', () => undefined);
      ws.on('close', (code) => (count(`anonymous big frame: close ${code}`), resolve()));
    });
    await sleep(1_000); // each send masks 16 MiB on this side: keep the attacker's own CPU modest
  }
}

const attacks: Promise<void>[] = [];
await Promise.all([enrolAccounts(attacks), connectionFlood(), anonymousBigFrames()]);
await Promise.all(attacks);
finish();
