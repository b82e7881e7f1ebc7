/**
 * The relay's verifier thread for large item signatures (sync-server/item-verifier.node.ts), with real keys: what
 * it answers, that the body comes back byte for byte, and when the caller's memory is moved rather than copied —
 * only a buffer that holds this one frame; a body inside a larger buffer (which may hold other frames) is copied, and
 * that buffer stays readable.
 */
import { spawnSync } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import { LARGE_STATEMENT_BYTES, verifyLargeItem, type SignedItem } from '../../sync-server/item-verifier.node.ts';
import { answerJob, keptKeys, keyOf, serve, type VerifyAnswer } from '../../sync-server/item-verifier.worker.node.ts';
import { newKeys, randomId } from '../support/relay-client.node.ts';

const keys = newKeys();
const accountId = randomId();

// Every thread this process makes (Node announces each on this channel): here, only the verifier's.
const threads: Worker[] = [];
subscribe('worker_threads', (m) => threads.push((m as { worker: Worker }).worker));
/** What keeps this process alive through a message port: the verifier thread's, while it is ref'd. */
const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
/** A promise, or a plain answer once it has had far longer than it needs: a check that never answers fails, not hangs. */
const within = <T>(p: Promise<T>): Promise<T | 'no answer'> => Promise.race([p, new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), 60_000).unref())]);

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

  it('moves a frame holding every field and hands each back intact: account, device and cover ids included', async () => {
    // All the byte fields are views into the one frame that is moved: each must have been copied before it went.
    const frame = new Uint8Array(32 * 4 + 64 + 80_000);
    const [acct, doc, dev, cover] = [0, 32, 64, 96].map((o) => frame.subarray(o, o + 32));
    acct!.set(randomId());
    doc!.set(randomId());
    dev!.set(keys.publicKey);
    cover!.set(newKeys().publicKey);
    const body = frame.subarray(32 * 4 + 64);
    body.fill(0x5a);
    const unsigned = { kind: 'snapshot' as const, accountId: acct!, docId: doc!, deviceId: dev!, deviceSeq: 9, body, covers: [{ deviceId: cover!, from: 2, to: 5 }] };
    const sig = frame.subarray(128, 192);
    sig.set(keys.sign(itemStatement(unsigned)) as Uint8Array);
    const hexOf = (i: SignedItem) => ({ kind: i.kind, accountId: Buffer.from(i.accountId).toString('hex'), docId: Buffer.from(i.docId).toString('hex'), deviceId: Buffer.from(i.deviceId).toString('hex'), deviceSeq: i.deviceSeq, covers: i.covers.map((c) => [Buffer.from(c.deviceId).toString('hex'), c.from, c.to]), sig: Buffer.from(i.sig).toString('hex'), body: Buffer.from(i.body).toString('hex') });
    const item = { ...unsigned, sig };
    const expected = hexOf(item);
    const r = await verifyLargeItem(item);
    expect(r.ok).toBe(true);
    expect(frame.byteLength).toBe(0);
    expect(hexOf(r.item)).toEqual(expected);
    // What came back still verifies: the thread checked exactly these bytes.
    expect((await verifyLargeItem(r.item)).ok).toBe(true);
  });

  it('moves a buffer up to 64 KiB larger than the body (a frame\'s header and fields), copies one a byte larger', async () => {
    const moved = framed(70_000, LARGE_STATEMENT_BYTES - 96);
    expect((await verifyLargeItem(moved.item)).ok).toBe(true);
    expect(moved.frame.byteLength).toBe(0);
    const copied = framed(70_000, LARGE_STATEMENT_BYTES - 95);
    expect((await verifyLargeItem(copied.item)).ok).toBe(true);
    expect(copied.frame.byteLength).toBe(96 + 70_000 + LARGE_STATEMENT_BYTES - 95);
  });

  it('sends a copy of a body whose memory cannot be moved (Node\'s shared pool), and answers for it', async () => {
    // A small Buffer lives in Node's pool, which may not be transferred: posting it throws, so a copy goes instead.
    const body = Buffer.from('a small body from the pool');
    expect(body.buffer.byteLength).toBeGreaterThan(body.length);
    const unsigned = { kind: 'update' as const, accountId, docId: randomId(), deviceId: keys.publicKey, deviceSeq: 1, body, covers: [] };
    const r = await verifyLargeItem({ ...unsigned, sig: keys.sign(itemStatement(unsigned)) as Uint8Array });
    expect(r.ok).toBe(true);
    expect(Buffer.from(r.item.body).toString()).toBe('a small body from the pool');
    expect(body.toString()).toBe('a small body from the pool');
    const forged = await verifyLargeItem({ ...unsigned, body: Buffer.from('a small body from the poom'), sig: keys.sign(itemStatement(unsigned)) as Uint8Array });
    expect(forged.ok).toBe(false);
  });

  it('answers on many items at once, each with its own verdict and its own body', async () => {
    const items = Array.from({ length: 6 }, (_, i) => framed(70_000 + i, 0).item);
    items[2]!.sig[0] = items[2]!.sig[0]! ^ 1;
    items[4]!.body[0] = items[4]!.body[0]! ^ 1;
    const lengths = items.map((i) => i.body.length);
    const rs = await Promise.all(items.map((i) => verifyLargeItem(i)));
    expect(rs.map((r) => r.ok)).toEqual([true, true, false, true, false, true]);
    expect(rs.map((r) => r.item.body.length)).toEqual(lengths);
  });
});

describe('the verifier thread, as the relay holds it', () => {
  it('is one thread for the whole process, however many items arrive at once', async () => {
    expect((await verifyLargeItem(framed(70_000, 0).item)).ok).toBe(true);
    const before = threads.length;
    const rs = await Promise.all(Array.from({ length: 8 }, () => verifyLargeItem(framed(70_000, 0).item)));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(threads.length).toBe(before);
  });

  it('holds the process while an answer is owed, and lets go once none is', async () => {
    expect((await verifyLargeItem(framed(70_000, 0).item)).ok).toBe(true);
    const idle = ports();
    const small = verifyLargeItem(framed(70_000, 0).item);
    const big = verifyLargeItem(framed(16 * 1024 * 1024, 0).item);
    expect(ports()).toBe(idle + 1);
    await small;
    // The big one is still owed: still held.
    expect(ports()).toBe(idle + 1);
    expect((await big).ok).toBe(true);
    expect(ports()).toBe(idle);
  });

  it('fails the items waiting on a thread that stops, in words, and verifies the next on a new thread', async () => {
    expect((await verifyLargeItem(framed(70_000, 0).item)).ok).toBe(true);
    const first = threads.at(-1)!;
    // Four large items queue for the thread, which is stopped at once: those it has not answered fail.
    const items = Array.from({ length: 4 }, () => framed(8 * 1024 * 1024, 0).item);
    const owed = Promise.allSettled(items.map((i) => within(verifyLargeItem(i))));
    void first.terminate();
    const settled = await owed;
    expect(settled.at(-1)).toMatchObject({ status: 'rejected', reason: { message: 'the item verifier stopped (exit 1)' } });
    expect(settled.filter((r) => r.status === 'rejected').every((r) => r.reason.message === 'the item verifier stopped (exit 1)')).toBe(true);
    expect((await within(verifyLargeItem(framed(70_000, 0).item))) as { ok: boolean }).toMatchObject({ ok: true });
    expect(threads.at(-1)).not.toBe(first);
    // A thread that fails (here: a job it cannot read, which the relay never sends) fails what waits on it with its
    // error, and the next item gets a new thread, which the failed thread's exit (after its error) leaves alone.
    const second = threads.at(-1)!;
    // The next item is sent as the thread reports its error (this listener runs after the verifier's own), so it
    // waits on the new thread when the failed one's exit arrives.
    let next: Promise<unknown> | undefined;
    second.once('error', () => (next = within(verifyLargeItem(framed(70_000, 0).item))));
    const exited = within(new Promise((r) => second.once('exit', r)));
    second.postMessage({ job: -1 });
    const waiting = within(verifyLargeItem(framed(70_000, 0).item));
    await expect(waiting).rejects.toThrow(/Cannot read properties of undefined/);
    expect(await exited).toBe(1);
    expect(await next).toMatchObject({ ok: true });
    expect(threads.at(-1)).not.toBe(second);
    // And the new thread is the one kept: the next item goes to it.
    const third = threads.at(-1)!;
    expect((await verifyLargeItem(framed(70_000, 0).item)).ok).toBe(true);
    expect(threads.at(-1)).toBe(third);
    expect(ports()).toBe(0);
  });

  it('throws for an item that cannot be sent to the thread, leaving nothing owed', async () => {
    const { item } = framed(70_000, 0);
    const odd = { deviceId: randomId(), from: 1, to: 2, note: () => 'not data' };
    await expect(within(verifyLargeItem({ ...item, covers: [odd] }))).rejects.toThrow(/could not be cloned/);
    expect((await verifyLargeItem(framed(70_000, 0).item)).ok).toBe(true);
    // Nothing is left waiting, so the thread lets the process go.
    expect(ports()).toBe(0);
  });
});

describe('the verifier thread in a process of its own', () => {
  it('keeps the process alive while items wait for it, and not once it is idle: a relay (or a CLI run) that is done exits', () => {
    // The thread is made on the first large item and kept. Three items wait at once, then one more after a pause: each
    // is answered (the process is not left to exit with answers owed), then nothing is owed and it ends by itself.
    const script = `
      import { generateKeyPairSync, sign } from 'node:crypto';
      import { verifyLargeItem } from ${JSON.stringify(new URL('../../sync-server/item-verifier.node.ts', import.meta.url).href)};
      import { itemStatement } from ${JSON.stringify(new URL('../../shared/sync/signing.std.ts', import.meta.url).href)};
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const deviceId = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'));
      const signed = (n) => {
        const item = { kind: 'update', accountId: new Uint8Array(32).fill(1), docId: new Uint8Array(32).fill(2), deviceId, deviceSeq: n, body: new Uint8Array(70000 * n).fill(n), covers: [] };
        return { ...item, sig: new Uint8Array(sign(null, itemStatement(item), privateKey)) };
      };
      const rs = await Promise.all([1, 2, 30].map((n) => verifyLargeItem(signed(n))));
      // Idle in between, then asked again.
      rs.push(await verifyLargeItem(signed(4)));
      console.log(rs.map((r) => r.ok + ' ' + r.item.body.length).join(', '));`;
    // A file, not --eval: the thread inherits the process's flags, and --input-type would stop it loading its own.
    const dir = mkdtempSync(join(tmpdir(), 'verifier-exit-'));
    writeFileSync(join(dir, 'run.mjs'), script);
    const run = spawnSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    expect({ status: run.status, signal: run.signal, out: run.stdout.trim(), err: run.stderr.replace(/.*ExperimentalWarning.*\n?/g, '').trim() }).toEqual({ status: 0, signal: null, out: 'true 70000, true 140000, true 2100000, true 280000', err: '' });
  });
});

describe('the verifier thread\'s check (run in process)', () => {
  const other = newKeys();
  function job(): Parameters<typeof answerJob>[0] {
    const unsigned = { kind: 'snapshot' as const, accountId, docId: randomId(), deviceId: keys.publicKey, deviceSeq: 4, body: new Uint8Array(1_000).fill(3), covers: [{ deviceId: other.publicKey, from: 1, to: 2 }] };
    return { ...unsigned, sig: keys.sign(itemStatement(unsigned)) as Uint8Array, job: 17 };
  }

  it('holds a genuine item and hands back its own body and job number', () => {
    const j = job();
    const a = answerJob(j);
    expect(a).toEqual({ job: 17, ok: true, body: j.body });
    expect(a.body).toBe(j.body);
    // The same device again (its key made once and kept) still holds.
    expect(answerJob(job()).ok).toBe(true);
  });

  it('refuses an item with any signed field changed, another key, or a key of the wrong size, without throwing', () => {
    const changes: Record<string, (j: ReturnType<typeof job>) => void> = {
      kind: (j) => (j.kind = 'update'),
      accountId: (j) => (j.accountId = randomId()),
      docId: (j) => (j.docId = randomId()),
      deviceSeq: (j) => (j.deviceSeq = 5),
      body: (j) => (j.body = new Uint8Array(1_000).fill(4)),
      covers: (j) => (j.covers = [{ ...j.covers[0]!, to: 3 }]),
      sig: (j) => (j.sig = keys.sign(new Uint8Array(8)) as Uint8Array),
      deviceId: (j) => (j.deviceId = other.publicKey),
      shortKey: (j) => (j.deviceId = keys.publicKey.subarray(0, 31)),
    };
    const verdicts = Object.fromEntries(
      Object.entries(changes).map(([name, change]) => {
        const j = job();
        change(j);
        return [name, answerJob(j).ok];
      }),
    );
    expect(verdicts).toEqual(Object.fromEntries(Object.keys(changes).map((k) => [k, false])));
  });

  it('makes each device\'s key once, keeps at most 1,024, and still uses the right key for each device past that', () => {
    expect(keyOf(keys.publicKey)).toBe(keyOf(keys.publicKey));
    // A stream of new device ids: the thread's memory for them stays bounded, and fills up to the bound.
    const seen: number[] = [];
    for (let i = 0; i < 1_100; i++) {
      const k = i % 100 === 0 ? keys : newKeys();
      expect(answerJob({ ...job(), deviceId: k.publicKey }).ok).toBe(k === keys);
      seen.push(keptKeys());
    }
    expect(Math.max(...seen)).toBe(1_024);
    expect(Math.min(...seen.slice(-100))).toBeGreaterThan(0);
    expect(answerJob(job()).ok).toBe(true);
  });

  it('answers jobs arriving on its port with the verdict and the body moved back', async () => {
    const { port1, port2 } = new MessageChannel();
    serve(port1);
    const answers: VerifyAnswer[] = [];
    port2.on('message', (a: VerifyAnswer) => answers.push(a));
    const good = job();
    const bad = { ...job(), job: 18, deviceSeq: 99 };
    port2.postMessage(good);
    port2.postMessage(bad);
    await expect.poll(() => answers.length).toBe(2);
    port1.close();
    expect(answers.map((a) => [a.job, a.ok, Buffer.from(a.body).equals(Buffer.from(good.body))])).toEqual([
      [17, true, true],
      [18, false, true],
    ]);
  });
});

