/**
 * SIGKILL of the relay process in the middle of a stream of pipelined uploads, several times over: every upload
 * the relay acknowledged is still there after a restart, under the same server sequence number and with the same
 * bytes; nothing is stored twice; re-sending the unacknowledged tail is safe (already-stored items come back as
 * duplicates with their first number) and the device ends with every update stored exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RelayConnection } from '../../shared/sync/client.std.ts';
import { tempDir } from '../support/files.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId, sodium, spawnRelay, type RelayProcess, type TestDevice } from '../support/relay-client.node.ts';

const TOTAL = 1_500;
const ROUNDS = 4;
const bodyFor = (seq: number) => {
  const b = new Uint8Array(1_500 + (seq % 100));
  new DataView(b.buffer).setUint32(0, seq);
  b.set(sodium.crypto_generichash(32, new TextEncoder().encode(`body-${seq}`), null), 4);
  return b;
};

let relay: RelayProcess | null = null;
afterAll(async () => {
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

describe('relay killed mid-upload', () => {
  it(`loses no acknowledged update and stores none twice, across ${ROUNDS} SIGKILLs`, async () => {
    const dataDir = tempDir('relay-crash');
    relay = await spawnRelay(['--data', dataDir, '--log-level', 'info']);
    const account = newAccount();
    const device: TestDevice = await enrollDevice(relay.url, account);
    const doc = randomId();
    const acked = new Map<number, number>(); // deviceSeq → serverSeq
    let next = 1; // first deviceSeq not yet acknowledged

    for (let round = 0; round <= ROUNDS; round++) {
      const c: RelayConnection = await connectDevice(relay.url, device);
      const last = round === ROUNDS;
      const killAfter = last ? Infinity : 150 + round * 97;
      let ackedThisRound = 0;
      let killed = false;
      const sends: Promise<void>[] = [];
      // Pipeline everything not yet acknowledged, without waiting between uploads.
      for (let seq = next; seq <= TOTAL; seq++) {
        sends.push(
          c.upload({ docId: doc, deviceSeq: seq, body: bodyFor(seq) }).then(
            (ack) => {
              const before = acked.get(seq);
              if (before !== undefined) expect(ack.serverSeq).toBe(before);
              acked.set(seq, ack.serverSeq);
              if (++ackedThisRound >= killAfter && !killed) {
                killed = true;
                relay!.child.kill('SIGKILL');
              }
            },
            () => undefined, // lost with the connection: sent again next round
          ),
        );
      }
      await Promise.all(sends);
      c.close();
      while (acked.has(next)) next++;
      if (!last) {
        expect(killed).toBe(true);
        expect(await relay.exited).toBeNull(); // killed by the signal, not exited on its own
        expect(next).toBeLessThanOrEqual(TOTAL);
        relay = await spawnRelay(['--data', dataDir, '--log-level', 'info']);
      }

      const check = await connectDevice(relay.url, device);
      const { items } = await check.pullAll(0);
      check.close();
      const byDeviceSeq = new Map(items.map((i) => [i.deviceSeq, i]));
      expect(byDeviceSeq.size).toBe(items.length); // no duplicates
      const serverSeqs = items.map((i) => i.serverSeq);
      expect(serverSeqs).toEqual([...serverSeqs].sort((a, b) => a - b));
      for (const [deviceSeq, serverSeq] of acked) {
        const item = byDeviceSeq.get(deviceSeq);
        if (item?.serverSeq !== serverSeq) expect.fail(`acknowledged update ${deviceSeq} (server ${serverSeq}) is missing or renumbered`);
        if (!Buffer.from(item.body!).equals(Buffer.from(bodyFor(deviceSeq)))) expect.fail(`update ${deviceSeq} changed`);
      }
      // Stored items form a prefix of what was sent (the relay handles one connection's uploads in order).
      expect([...byDeviceSeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: items.length }, (_, i) => i + 1));
    }
    expect(acked.size).toBe(TOTAL);
    expect(next).toBe(TOTAL + 1);
  });
});
