/**
 * The relay's verifier thread for large item signatures (sync-server/item-verifier.node.ts), with real keys: what
 * it answers, that the body comes back byte for byte, and when the caller's memory is moved rather than copied —
 * only a buffer that holds this one frame; a body inside a larger buffer (which may hold other frames) is copied, and
 * that buffer stays readable.
 */
import { describe, expect, it } from 'vitest';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import { verifyLargeItem, type SignedItem } from '../../sync-server/item-verifier.node.ts';
import { newKeys, randomId } from '../support/relay-client.node.ts';

const keys = newKeys();
const accountId = randomId();

/** A signed item whose fields and body are views into one buffer, laid out as a frame would hold them. */
function framed(bodyBytes: number, slack: number): { item: SignedItem; frame: Uint8Array } {
  const frame = new Uint8Array(32 + 64 + bodyBytes + slack);
  const docId = frame.subarray(0, 32);
  docId.set(randomId());
  const body = frame.subarray(96, 96 + bodyBytes);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
  frame.fill(0xee, 96 + bodyBytes);
  const unsigned = { kind: 'update' as const, accountId, docId, deviceId: keys.publicKey, deviceSeq: 3, body, covers: [] };
  const sig = frame.subarray(32, 96);
  sig.set(keys.sign(itemStatement(unsigned)) as Uint8Array);
  return { item: { ...unsigned, sig }, frame };
}

describe('large item verifier thread', () => {
  it('verifies a genuine item, moves a one-frame buffer there and back, and returns every field intact', async () => {
    const { item, frame } = framed(100_000, 0);
    const expected = { docId: [...item.docId], sig: [...item.sig], body: Buffer.from(item.body).toString('hex') };
    const r = await verifyLargeItem(item);
    expect(r.ok).toBe(true);
    // Moved, not copied: the caller's views of the frame are empty now...
    expect(frame.byteLength).toBe(0);
    // ...and what came back is the same bytes.
    expect({ docId: [...r.item.docId], sig: [...r.item.sig], body: Buffer.from(r.item.body).toString('hex') }).toEqual(expected);
  });

  it('copies a body that shares its buffer with other bytes, leaving that buffer readable', async () => {
    const { item, frame } = framed(100_000, 200_000);
    const r = await verifyLargeItem(item);
    expect(r.ok).toBe(true);
    expect(frame.byteLength).toBe(32 + 64 + 100_000 + 200_000);
    expect(frame.subarray(96 + 100_000).every((b) => b === 0xee)).toBe(true);
    expect(Buffer.from(r.item.body).equals(Buffer.from(item.body))).toBe(true);
  });

  it('refuses a changed body, another device\'s key and a key libsodium would refuse', async () => {
    const changed = framed(70_000, 0).item;
    changed.body[5] = changed.body[5]! ^ 1;
    expect((await verifyLargeItem(changed)).ok).toBe(false);
    const other = framed(70_000, 0).item;
    expect((await verifyLargeItem({ ...other, deviceId: newKeys().publicKey })).ok).toBe(false);
    // A small-order point: refused before the thread is asked, the body left where it was.
    const weak = framed(70_000, 0);
    const r = await verifyLargeItem({ ...weak.item, deviceId: Uint8Array.of(1, ...new Uint8Array(31)) });
    expect(r.ok).toBe(false);
    expect(weak.frame.byteLength).toBeGreaterThan(0);
  });
});
