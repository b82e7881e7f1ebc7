/**
 * Content-key epochs (keyring.node.ts) with real keys and a real (in-memory) sync store: the keyring body's byte
 * layout, what a malformed or misaddressed body yields, and how a replica learns, persists and rotates epochs.
 * The end-to-end paths (a removed device gets no key) are in tests/sync/devices.test.ts and revocation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes, sodium, toHex } from '../crypto/sodium.node.ts';
import { createMemoryStorage } from '../store/storage.node.ts';
import { createVault } from '../vault/vault.node.ts';
import { VaultSession } from '../session.node.ts';
import { boxKeyPair, signingKeysFromSeed } from './keys.node.ts';
import { contentKey, epochs, keyFor, learnEpoch, learnEpochCached, newKeyringBody, openKeyringBody, rotate } from './keyring.node.ts';
import { Replica } from './replica.node.ts';
import { createMemorySyncStore } from './store.node.ts';

const accountId = randomBytes(32);
const alice = signingKeysFromSeed(randomBytes(32));
const bob = signingKeysFromSeed(randomBytes(32));
const PREFIX = new TextEncoder().encode('mindstage.sync.epoch.v1\0');

/** What the box holds, by the format in keyring.node.ts's header, built here by hand. */
function boxPlain(account: Uint8Array, epoch: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array([...PREFIX, ...account, 0, 0, 0, 0, ...key]);
  new DataView(out.buffer).setUint32(PREFIX.length + 32, epoch);
  return out;
}

/** A keyring body built by hand: version ‖ epoch (u32) ‖ count (u16) ‖ (recipient ‖ box length (u16) ‖ box)*. */
function handBody(epoch: number, entries: { rcpt: Uint8Array; box: Uint8Array }[], version = 2, count = entries.length): Uint8Array {
  const parts = entries.flatMap((e) => [e.rcpt, new Uint8Array([e.box.length >> 8, e.box.length & 0xff]), e.box]);
  const head = new Uint8Array(7);
  head[0] = version;
  new DataView(head.buffer).setUint32(1, epoch);
  new DataView(head.buffer).setUint16(5, count);
  return new Uint8Array(Buffer.concat([head, ...parts]));
}
const sealTo = (who: typeof alice, plain: Uint8Array) => sodium.crypto_box_seal(plain, boxKeyPair(who).publicKey);

// One vault (its key derivation is the slow part); each replica gets its own sync store, where epochs live.
const storage = createMemoryStorage();
const session = new VaultSession(storage, createVault(storage, 'test passphrase').vault);

function replica(): { r: Replica; again: () => Replica } {
  const store = createMemorySyncStore();
  return { r: new Replica(session, store), again: () => new Replica(session, store) };
}

describe('keyring bodies', () => {
  it('are laid out byte for byte as documented: version, epoch, count, then each recipient, box length and box', () => {
    const key = randomBytes(32);
    const body = newKeyringBody(accountId, 0x01020304, key, [alice.publicKey, bob.publicKey]);
    const v = new DataView(body.buffer, body.byteOffset);
    expect([body[0], v.getUint32(1), v.getUint16(5)]).toEqual([2, 0x01020304, 2]);
    const boxLen = PREFIX.length + 32 + 4 + 32 + sodium.crypto_box_SEALBYTES;
    expect(body.length).toBe(7 + 2 * (32 + 2 + boxLen));
    let o = 7;
    for (const who of [alice, bob]) {
      expect(toHex(body.subarray(o, o + 32))).toBe(toHex(who.publicKey));
      expect(v.getUint16(o + 32)).toBe(boxLen);
      const pair = boxKeyPair(who);
      const plain = sodium.crypto_box_seal_open(body.subarray(o + 34, o + 34 + boxLen), pair.publicKey, pair.privateKey);
      expect(toHex(plain)).toBe(toHex(boxPlain(accountId, 0x01020304, key)));
      o += 34 + boxLen;
    }
  });

  it('a body written by hand to the format opens for its recipient (a protocol vector: other versions must read it)', () => {
    const key = randomBytes(32);
    const body = handBody(5, [
      { rcpt: bob.publicKey, box: sealTo(bob, boxPlain(accountId, 5, key)) },
      { rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 5, key)) },
    ]);
    expect(openKeyringBody(body, accountId, alice)).toEqual({ epoch: 5, key });
    expect(openKeyringBody(body, accountId, bob)).toEqual({ epoch: 5, key });
  });

  it('skips a recipient key that has no X25519 form instead of failing the rotation', () => {
    const notAPoint = new Uint8Array(32); // the all-zero key is of small order: libsodium refuses to convert it
    const body = newKeyringBody(accountId, 1, randomBytes(32), [notAPoint, alice.publicKey]);
    expect(new DataView(body.buffer).getUint16(5)).toBe(1);
    expect(toHex(body.subarray(7, 39))).toBe(toHex(alice.publicKey));
    expect(openKeyringBody(body, accountId, alice)?.epoch).toBe(1);
  });

  it('yield nothing, without throwing, when short, of another version, truncated, or holding a box that is not what it claims', () => {
    const key = randomBytes(32);
    const good = handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 3, key)) }]);
    expect(openKeyringBody(good, accountId, alice)).toEqual({ epoch: 3, key });
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['shorter than its header', good.subarray(0, 6)],
      ['another version', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 3, key)) }], 1)],
      ['counting more entries than it holds', handBody(3, [], 2, 4)],
      ['cut inside an entry header', good.subarray(0, 7 + 33)],
      ['cut inside the box', good.subarray(0, good.length - 1)],
      ['a box of another epoch', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 4, key)) }])],
      ['a box of another account', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(randomBytes(32), 3, key)) }])],
      ['a box under another label', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, new Uint8Array([...boxPlain(accountId, 3, key)].map((b, i) => (i === 0 ? b ^ 1 : b)))) }])],
      ['a box missing key bytes', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 3, key).subarray(0, PREFIX.length + 36 + 31)) }])],
      ['a box with bytes past the key', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, new Uint8Array([...boxPlain(accountId, 3, key), 0])) }])],
      ['a box addressed to alice but sealed to bob', handBody(3, [{ rcpt: alice.publicKey, box: sealTo(bob, boxPlain(accountId, 3, key)) }])],
    ];
    for (const [what, body] of cases) expect({ what, got: openKeyringBody(body, accountId, alice) }).toEqual({ what, got: null });
  });

  it('reads only the entries its count announces: a valid box appended after them is not opened', () => {
    const key = randomBytes(32);
    const counted = handBody(3, [{ rcpt: bob.publicKey, box: sealTo(bob, boxPlain(accountId, 3, key)) }]);
    const trailing = handBody(3, [{ rcpt: alice.publicKey, box: sealTo(alice, boxPlain(accountId, 3, key)) }]).subarray(7);
    const body = new Uint8Array([...counted, ...trailing]);
    expect(openKeyringBody(body, accountId, bob)).toEqual({ epoch: 3, key });
    expect(openKeyringBody(body, accountId, alice)).toBeNull();
  });
});

describe('epochs of a replica', () => {
  it('epoch 0 is derived from the vault; no other epoch is known until learned; the content key starts at epoch 0', () => {
    const { r } = replica();
    expect(toHex(keyFor(r, 0)!)).toBe(toHex(r.keys.epochZero));
    expect(keyFor(r, 1)).toBeNull();
    expect(contentKey(r)).toEqual({ epoch: 0, key: r.keys.epochZero });
  });

  it('learning persists the key, moves to the newest epoch only, and never replaces a key already known', () => {
    const { r, again } = replica();
    const [k2, k1, other] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const [k2copy, k1copy] = [k2.slice(), k1.slice()];
    learnEpoch(r, 2, k2);
    learnEpoch(r, 1, k1); // older: learned, but the current epoch stays 2
    learnEpoch(r, 2, other); // known: kept as it was
    learnEpoch(r, 0, other); // epoch 0 is never stored
    // The replica keeps its own copy: a caller zeroing its buffer afterwards takes nothing away.
    k2.fill(0);
    k1.fill(0);
    for (const x of [r, again()]) {
      expect(contentKey(x)).toEqual({ epoch: 2, key: k2copy });
      expect(toHex(keyFor(x, 1)!)).toBe(toHex(k1copy));
      expect([...epochs(x).keys.keys()].sort()).toEqual([1, 2]);
    }
  });

  it('learning in memory only: true when new, visible at once, written only by putEpochs', () => {
    const { r, again } = replica();
    const k = randomBytes(32);
    const kept = k.slice();
    expect(learnEpochCached(r, 0, k)).toBe(false);
    expect(learnEpochCached(r, 3, k)).toBe(true);
    k.fill(0); // the caller's buffer; the replica holds its own copy
    expect(learnEpochCached(r, 3, randomBytes(32))).toBe(false);
    expect(learnEpochCached(r, 1, randomBytes(32))).toBe(true);
    expect(contentKey(r)).toEqual({ epoch: 3, key: kept });
    expect(keyFor(again(), 3)).toBeNull();
    expect(r.state.epochs().keys.size).toBe(0);
  });

  it('rotating starts an epoch above every known one, with a fresh key sealed to the recipients that the replica now writes with', () => {
    const { r, again } = replica();
    const first = rotate(r, [alice.publicKey]);
    expect(first.epoch).toBe(1);
    const second = rotate(r, [alice.publicKey, bob.publicKey]);
    expect(second.epoch).toBe(2);
    const opened = openKeyringBody(second.body, r.keys.accountId, bob)!;
    expect(opened.epoch).toBe(2);
    expect(contentKey(again())).toEqual({ epoch: 2, key: opened.key });
    expect(toHex(opened.key)).not.toBe(toHex(openKeyringBody(first.body, r.keys.accountId, alice)!.key));
    // Only the recipients named: alice alone could open the first.
    expect(openKeyringBody(first.body, r.keys.accountId, bob)).toBeNull();
    const third = rotate(r, [alice.publicKey]);
    expect(third.epoch).toBe(3);
    expect(contentKey(r)).toEqual({ epoch: 3, key: openKeyringBody(third.body, r.keys.accountId, alice)!.key });
  });
});
