/**
 * Two relay instances on one PostgreSQL (a throwaway cluster): a device on instance A receives, live, what a
 * device on instance B uploads — fan-out goes through PostgreSQL's LISTEN/NOTIFY, not through the relays talking
 * to each other. Removal and wipe cross instances the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayError } from '../../shared/sync/client.std.ts';
import type { WipeMarker } from '../../shared/sync/messages.std.ts';
import { relayAuthority, verifyWipeMarker } from '../../shared/sync/signing.std.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { connectDevice, enrollDevice, newAccount, pushCollector, randomId, removeFromList, verify, wipeAccount } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const skipPg = postgresUnavailable();
describe.skipIf(skipPg !== null)(`two relay instances on one PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let cluster: PgCluster;
  let a: TestRelay;
  let b: TestRelay;
  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('fanout');
    // Both instances answer to the same public name, as they would behind a load balancer.
    [a, b] = await Promise.all([startTestRelay({ postgresUrl: url, authority: 'relay.test' }), startTestRelay({ postgresUrl: url, authority: 'relay.test' })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.stop();
  });

  // Clients must sign for the public name, so they dial it and the socket goes to the instance's real port.
  const via = (relay: TestRelay) => ({ socket: (_url: string) => new WebSocket(relay.url) });
  const publicUrl = 'ws://relay.test';

  it('share one identity, so receipts verify whichever instance answers', () => {
    expect(Buffer.from(a.relayKey).equals(Buffer.from(b.relayKey))).toBe(true);
  });

  it('deliver an upload on instance B live to a device on instance A, in order', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(a.url, account);
    const d2 = await enrollDevice(b.url, account);
    const live = pushCollector();
    const onA = await connectDevice(publicUrl, d1, { ...live.options, ...via(a) });
    const onB = await connectDevice(publicUrl, d2, via(b));
    const doc = randomId();
    const sent = [];
    for (let i = 1; i <= 5; i++) sent.push((await onB.upload({ docId: doc, deviceSeq: i, body: new TextEncoder().encode(`from-b-${i}`) })).serverSeq);
    const got = await live.next(5);
    expect(got.map((g) => g.serverSeq)).toEqual(sent);
    expect(got.map((g) => new TextDecoder().decode(g.body))).toEqual([1, 2, 3, 4, 5].map((i) => `from-b-${i}`));
    // And the other way round.
    const liveB = pushCollector();
    const onB2 = await connectDevice(publicUrl, d2, { ...liveB.options, ...via(b) });
    await onA.upload({ docId: doc, deviceSeq: 1, body: new Uint8Array(10) });
    expect((await liveB.next(1))[0]!.serverSeq).toBe(6);
    for (const c of [onA, onB, onB2]) c.close();
  });

  it('cut off a removed device and tell devices of a wiped account, across instances', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(a.url, account);
    const d2 = await enrollDevice(a.url, account);
    const errors: RelayError[] = [];
    let marker: WipeMarker | null = null;
    await connectDevice(publicUrl, d2, { ...via(a), onError: (e) => errors.push(e) });
    const onB = await connectDevice(publicUrl, d1, via(b));
    await removeFromList(b.url, account, d2.deviceId);
    await expect.poll(() => errors.map((e) => e.relayCode)).toEqual(['revoked']);

    await connectDevice(publicUrl, d1, { ...via(a), onWiped: (m) => (marker = m) });
    await wipeAccount(onB, account, d1.keys);
    await expect.poll(() => marker !== null).toBe(true);
    expect(verifyWipeMarker(verify, marker!, { accountId: account.accountId, authority: relayAuthority(publicUrl), list: account.list! })).toBe(true);
  });
});
