/**
 * Initial sync of a 100,000-message vault (1,000 conversation documents, dataset.node.ts) to a new device over
 * loopback, beside y-websocket moving the same documents in the same run.
 *
 * Baseline — y-websocket, unencrypted: its own server (@y/websocket-server, documents in memory) as a child
 * process; device A opens a WebsocketProvider per document and syncs them up; then a new device B with 1,000 empty
 * documents opens a provider per document, and the clock runs until every one reports `synced` (a Yjs doc per
 * provider, decoded). y-websocket has one document per connection; B keeps 100 of them in flight (faster here than
 * opening all 1,000 at once, so the baseline is y-websocket at its best, not a strawman).
 *
 * Both sides are set up first; then new devices join each side in turn (y-websocket, Mindstage, y-websocket, …) and
 * the best of each is compared, so a burst of load from elsewhere on the machine cannot favour one side.
 *
 * Mindstage, client engine (the figure with the target): engine-sync.node.ts — real vaults on SQLite, the engine
 * end to end, B's local encrypted store included.
 *
 * Mindstage, relay level (a breakdown: what the wire and the crypto cost without the engine's bookkeeping and
 * disk writes): the same states sealed as the store seals them (XChaCha20-Poly1305 envelopes, padded), uploaded by
 * A through RelayConnection (each signed by A's device key) to the real relay process (SQLite, fsync per item);
 * then B connects, authenticates, pulls everything, checks each item's signature, opens each envelope and applies
 * it to a fresh in-memory Yjs document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { openEnvelope, sealEnvelope } from '../../../electron/core/crypto/envelope.node.ts';
import { messageCount } from '../../../electron/core/docs/conversation-doc.node.ts';
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import { connectDevice, enrollDevice, newAccount, sodium, verify } from '../../support/relay-client.node.ts';
import { median, type BenchRow } from '../report.node.ts';
import { buildVault, CONVERSATIONS, MESSAGES_PER_CONVERSATION } from './dataset.node.ts';
import { engineSide } from './engine-sync.node.ts';
import { binding, newSealKey } from './payloads.node.ts';
import { memoryOf, startMindstageRelay, startYWebsocketServer } from './processes.node.ts';

const SUITE = 'relay';

function checkVault(docs: Y.Doc[], who: string): void {
  const total = docs.reduce((n, d) => n + messageCount(d), 0);
  if (docs.length !== CONVERSATIONS || total !== CONVERSATIONS * MESSAGES_PER_CONVERSATION) {
    throw new Error(`${who}: new device holds ${docs.length} documents / ${total} messages, expected ${CONVERSATIONS} / ${CONVERSATIONS * MESSAGES_PER_CONVERSATION}`);
  }
}

/**
 * Syncs every document through its own provider, at most `window` connections at a time, each closed once synced
 * (the server keeps the document in memory). All 1,000 at once is ~40% slower here than a window of 10–200.
 */
async function syncAll(url: string, docs: Y.Doc[], window = 100): Promise<void> {
  let next = 0;
  const one = (doc: Y.Doc, i: number) =>
    new Promise<void>((resolve, reject) => {
      const p = new WebsocketProvider(url, `conversation-${i}`, doc, { disableBc: true });
      p.once('sync', (synced: boolean) => {
        p.destroy();
        if (synced) resolve();
        else reject(new Error(`y-websocket: document ${i} did not sync`));
      });
      p.on('connection-error', () => reject(new Error(`y-websocket: connection error on document ${i}`)));
    });
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < docs.length) {
        const i = next++;
        await one(docs[i]!, i);
      }
    }),
  );
}

/** One side of the comparison, set up and holding device A's upload; each newDevice() is one timed initial sync. */
export interface SyncSide {
  uploadMs: number;
  newDevice: () => Promise<number>;
  serverMB: () => number;
  stop: () => Promise<void>;
}

export async function yWebsocketSide(states: Uint8Array[]): Promise<SyncSide> {
  const server = await startYWebsocketServer();
  // Each open provider registers a process 'exit' listener.
  const maxListeners = process.getMaxListeners();
  process.setMaxListeners(0);
  const stop = async () => {
    process.setMaxListeners(maxListeners);
    await server.stop();
  };
  try {
    const aDocs = states.map((s) => {
      const d = new Y.Doc();
      Y.applyUpdate(d, s);
      return d;
    });
    const t = performance.now();
    await syncAll(server.url, aDocs);
    const uploadMs = performance.now() - t;
    for (const d of aDocs) d.destroy();
    return {
      uploadMs,
      newDevice: async () => {
        const bDocs = states.map(() => new Y.Doc());
        const t0 = performance.now();
        await syncAll(server.url, bDocs);
        const ms = performance.now() - t0;
        checkVault(bDocs, 'y-websocket');
        for (const d of bDocs) d.destroy();
        return ms;
      },
      serverMB: () => memoryOf(server.pid).peakMB,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function downloadAll(url: string, device: Awaited<ReturnType<typeof enrollDevice>>, seal: ReturnType<typeof newSealKey>): Promise<Map<string, Y.Doc>> {
  const b = await connectDevice(url, device);
  const docs = new Map<string, Y.Doc>();
  let cursor = 0;
  for (;;) {
    const page = await b.pull(cursor);
    for (const item of page.items) {
      const statement = itemStatement({ kind: item.kind, accountId: device.account.accountId, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body });
      if (!item.body || !verify(item.sig, statement, item.deviceId)) throw new Error(`item ${item.serverSeq} does not verify`);
      const plain = openEnvelope(seal.key, item.body, binding(seal, item.docId, item.deviceSeq), 'bench');
      const key = Buffer.from(item.docId).toString('hex');
      let doc = docs.get(key);
      if (!doc) docs.set(key, (doc = new Y.Doc()));
      Y.applyUpdate(doc, plain);
    }
    cursor = Math.max(cursor, page.items.at(-1)?.serverSeq ?? cursor);
    if (!page.more) break;
  }
  b.close();
  return docs;
}

export interface RelayLevel {
  uploadMs: number;
  /** One per new download. */
  syncMs: number[];
  bytes: number;
  serverMB: number;
}

export async function relayLevelSync(states: Uint8Array[], newDevices = 2): Promise<RelayLevel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-bench-initial-'));
  const relay = await startMindstageRelay(dataDir);
  try {
    const account = newAccount();
    const deviceA = await enrollDevice(relay.url, account);
    const deviceB = await enrollDevice(relay.url, account);
    const seal = newSealKey();
    const docIds = states.map(() => sodium.randombytes_buf(32));

    // Device A: seal every document's state and upload it, up to 32 in flight (acknowledgements come in order).
    const a = await connectDevice(relay.url, deviceA);
    let t = performance.now();
    let bytes = 0;
    let next = 0;
    const worker = async () => {
      while (next < states.length) {
        const i = next++;
        const body = sealEnvelope(seal.key, states[i]!, binding(seal, docIds[i]!, i + 1));
        bytes += body.length;
        await a.upload({ docId: docIds[i]!, deviceSeq: i + 1, body });
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const uploadMs = performance.now() - t;
    a.close();

    // Device B, new each time: connect, authenticate, pull everything, verify, decrypt, apply.
    const syncMs: number[] = [];
    for (let run = 0; run < newDevices; run++) {
      t = performance.now();
      const docs = await downloadAll(relay.url, deviceB, seal);
      syncMs.push(performance.now() - t);
      checkVault([...docs.values()], 'Mindstage relay');
      for (const d of docs.values()) d.destroy();
    }
    const serverMB = memoryOf(relay.pid).peakMB;
    return { uploadMs, syncMs, bytes, serverMB };
  } finally {
    await relay.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function initialSync(newDevices = 3): Promise<BenchRow[]> {
  const states = buildVault();
  const plainBytes = states.reduce((n, s) => n + s.length, 0);
  const y = await yWebsocketSide(states);
  const engine = await engineSide(states).catch(async (e: unknown) => {
    await y.stop();
    throw e;
  });
  const base: number[] = [];
  const ours: number[] = [];
  let yMB: number;
  let engineMB: number;
  try {
    // Alternate, so both sides meet the same machine: it is shared, and its load comes and goes.
    for (let run = 0; run < newDevices; run++) {
      base.push(await y.newDevice());
      ours.push(await engine.newDevice());
    }
    yMB = y.serverMB();
    engineMB = engine.serverMB();
  } finally {
    await y.stop();
    await engine.stop();
  }
  const relay = await relayLevelSync(states, 2);

  const best = (xs: number[]) => Math.min(...xs);
  const ratio = best(ours) / best(base);
  const label = `${(CONVERSATIONS * MESSAGES_PER_CONVERSATION).toLocaleString('en')} messages in ${CONVERSATIONS.toLocaleString('en')} docs`;
  return [
    {
      suite: SUITE,
      name: `initial sync to a new device, client engine (enable + first round, to disk; best of ${ours.length}), ${label}`,
      value: best(ours),
      unit: 'ms',
      baselineName: `y-websocket server, unencrypted (best of ${base.length}, alternating)`,
      baseline: best(base),
      target: '< 10 s and ≤ 2× y-websocket',
      pass: Math.max(...ours) < 10_000 && ratio <= 2,
    },
    { suite: SUITE, name: `initial sync, median of ${ours.length} new devices (client engine)`, value: median(ours), unit: 'ms', baselineName: 'y-websocket median', baseline: median(base) },
    { suite: SUITE, name: 'same, relay level only (pull + verify + decrypt + Yjs apply in memory; best of 2)', value: best(relay.syncMs), unit: 'ms', baselineName: 'y-websocket best', baseline: best(base) },
    { suite: SUITE, name: `first upload of the vault by device A, client engine (${engine.uploaded} items)`, value: engine.uploadMs, unit: 'ms', baselineName: 'y-websocket, A syncs up', baseline: y.uploadMs },
    { suite: SUITE, name: 'bytes moved for the vault (sealed envelopes, relay level)', value: relay.bytes / 1e6, unit: 'MB', baselineName: 'plain Yjs states', baseline: plainBytes / 1e6 },
    { suite: SUITE, name: 'relay peak RSS during initial sync (client engine run)', value: engineMB, unit: 'MB', baselineName: 'y-websocket server (in memory)', baseline: yMB },
  ];
}
