/**
 * The relay session's `wipe` handler, in process on memory storage with real keys (tests/relay/wipe.test.ts takes
 * the same story through SQLite and PostgreSQL and checks what is left on disk): who may wipe, each refusal in words
 * with nothing deleted, the receipt, who is told and disconnected, and a repeated wipe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayAuthority, verifyWipeReceipt, wipeStatement } from '../../shared/sync/signing.std.ts';
import { relayIdentity } from '../../sync-server/crypto.node.ts';
import { memoryStorage } from '../../sync-server/storage/memory.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { enrollDevice, newAccount, newKeys, randomId, relayRefusal, removeFromList, verify, wipeAccount, type TestDevice, type WatchedConnection, watchConnection, watchDevice } from '../support/relay-client.node.ts';

let clock = Date.now();
let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay({ storage: memoryStorage(), now: () => clock });
});
afterAll(async () => {
  await relay?.close();
});

type Conn = WatchedConnection;
const open = () => watchConnection(relay.url);
const signedIn = (d: TestDevice) => watchDevice(relay.url, d);
/** The connection still answers (a refusal of its own, not a closed socket). */
const answers = async (conn: Conn) => expect((await relayRefusal(conn.c.pairTake(randomId()))).relayCode).toBe('not_found');
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the relay\'s wipe handler', () => {
  it('refuses in words, deleting nothing and keeping the connection: another relay, a removed device, a stranger, a forged signature, an account it never held', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    await removeFromList(relay.url, account, d2.deviceId, d1.keys);
    const holder = await signedIn(d1);
    await holder.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(16) });
    const anon = await open();
    const refusal = async (p: Promise<unknown>, code: string, words: RegExp) => {
      const e = await relayRefusal(p);
      expect({ code: e.relayCode, message: e.message }).toEqual({ code, message: expect.stringMatching(words) });
      await answers(anon);
    };
    const elsewhere = { accountId: account.accountId, issuedAt: clock, authority: 'other-relay.example:443', signer: d1.deviceId };
    await refusal(anon.c.sendWipe({ ...elsewhere, sig: d1.keys.sign(wipeStatement(elsewhere)) as Uint8Array }), 'auth_failed', new RegExp(`addressed to other-relay\\.example:443, not to this relay \\(${relayAuthority(relay.url).replace(/\./g, '\\.')}\\)`));
    await refusal(wipeAccount(anon.c, account, d2.keys), 'revoked', /removed from the account; it cannot wipe it/);
    const stranger = newKeys();
    await refusal(wipeAccount(anon.c, account, stranger), 'auth_failed', /not signed by a device on the account's current list/);
    await refusal(wipeAccount(anon.c, account, account.keys), 'auth_failed', /not signed by a device on the account's current list/);
    await refusal(anon.c.wipe({ accountId: account.accountId, signer: d1.deviceId, sign: stranger.sign }), 'auth_failed', /The wipe signature does not verify/);
    const nobody = newAccount();
    await refusal(wipeAccount(anon.c, nobody, stranger), 'unknown_account', /holds nothing for this account/);
    expect((await holder.c.pull(0)).items).toHaveLength(1);
    holder.c.close();
    anon.c.close();
  });

  it('wipes with a device on the list: a receipt the relay signed for this marker, the account\'s connections told and closed, others left open', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    const wiper = await signedIn(d1);
    await wiper.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(100) });
    await wiper.c.upload({ docId: randomId(), deviceSeq: 2, body: new Uint8Array(50) });
    await wiper.c.pairPut({ mailbox: randomId(), body: new Uint8Array(30), ttlMs: 60_000 });
    const online = await signedIn(d2);
    const bystander = await signedIn(await enrollDevice(relay.url, newAccount()));

    clock += 1000;
    const { receipt, marker } = await wipeAccount(wiper.c, account, d1.keys);
    expect(verifyWipeReceipt(verify, receipt, { accountId: account.accountId, relayKey: relay.relayKey, marker })).toBe(true);
    expect({ counts: receipt.counts, wipedAt: receipt.wipedAt, signer: hexOf(marker.signer) }).toEqual({
      counts: { updates: 2, snapshots: 0, tombstones: 0, devices: 2, pairings: 1, bytes: 180 },
      wipedAt: clock,
      signer: hexOf(d1.deviceId),
    });
    // The wiping connection and the account's other one are closed as wiped; the other one got the marker first.
    await expect.poll(() => [wiper.closed, online.closed]).toEqual([{ code: 1000, reason: 'wiped' }, { code: 1000, reason: 'wiped' }]);
    expect(online.marker && hexOf(online.marker.sig)).toBe(hexOf(marker.sig));
    expect(wiper.marker).toBeNull();
    // Another account's connection is left alone, and the log names the account by its tag with the counts.
    await answers(bystander);
    const { tag } = relayIdentity(await relay.storage.relaySeed(() => new Uint8Array(32)));
    const logged = relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'wipe');
    expect(logged).toContainEqual(expect.objectContaining({ acct: tag(account.accountId), counts: receipt.counts, outcome: 'wiped' }));
    bystander.c.close();
  });

  it('leaves open a connection that wipes an account it is not signed in to', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const anon = await open();
    await wipeAccount(anon.c, account, d1.keys);
    await answers(anon);
    const other = await signedIn(await enrollDevice(relay.url, newAccount()));
    await wipeAccount(other.c, (await enrollDevice(relay.url, newAccount())).account);
    await answers(other);
    anon.c.close();
    other.c.close();
  });

  it('answers a repeated wipe with the first receipt, refuses a forged repeat, and hands the marker to a device saying hello', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const first = await open();
    const { receipt, marker } = await wipeAccount(first.c, account, d1.keys);
    clock += 60_000;
    const again = await open();
    const repeat = await again.c.sendWipe(marker);
    expect({ counts: repeat.receipt.counts, wipedAt: repeat.receipt.wipedAt }).toEqual({ counts: receipt.counts, wipedAt: receipt.wipedAt });
    const forged = await relayRefusal(again.c.sendWipe({ ...marker, sig: newKeys().sign(wipeStatement(marker)) as Uint8Array }));
    expect({ code: forged.relayCode, message: forged.message }).toEqual({ code: 'auth_failed', message: expect.stringMatching(/wipe signature does not verify/) });
    // The account cannot come back, and a device saying hello is given the marker and the connection is closed.
    const revive = { accountId: account.accountId, version: 1, prev: new Uint8Array(64), devices: [newKeys().publicKey], recovery: null, signer: account.accountId, sign: account.keys.sign };
    const back = await relayRefusal(again.c.setDevices(revive));
    expect({ code: back.relayCode, message: back.message }).toEqual({ code: 'wiped', message: expect.stringMatching(/was wiped; it cannot be used again/) });
    const late = await open();
    const told = await relayRefusal(late.c.authenticate({ accountId: account.accountId, deviceId: d1.deviceId, sign: d1.keys.sign }));
    expect({ code: told.relayCode, sig: told.marker && hexOf(told.marker.sig) }).toEqual({ code: 'wiped', sig: hexOf(marker.sig) });
    await expect.poll(() => late.closed).toEqual({ code: 1000, reason: 'wiped' });
    const { tag } = relayIdentity(await relay.storage.relaySeed(() => new Uint8Array(32)));
    expect(relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'hello', acct: tag(account.accountId), outcome: 'wiped' }));
    first.c.close();
    again.c.close();
  });
});
