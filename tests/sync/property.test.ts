/**
 * Property: whatever devices edit, whenever each syncs, and in whatever order (and with whatever duplication) the
 * relay's answers reach them, every device ends with the same state and nothing is refused. In-process relay for
 * speed; the order and duplication of delivery come from a seeded shuffle in a rewriting proxy. Each run has new
 * devices on a relay of its own, all of one vault made once for the file (testVault): the 64 MiB Argon2id of a
 * vault per run cost more CPU than the runs themselves, and a fresh in-process relay costs little.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncEngine } from '../../electron/core/sync/engine.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { hostileRelay } from './hostile-proxy.node.ts';
import { enableAll, memoryDevices, picture, testVault, type TestVault } from './support.node.ts';
import { prng, World, type Op } from './ops.node.ts';

let vault: TestVault;
beforeAll(() => {
  // Segments of three messages: random runs begin new segments on several devices at once (docs/storage.md).
  process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = '3';
  vault = testVault();
});
afterAll(() => {
  delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
});

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('set' as const), d: fc.nat(2), rec: fc.nat(5), key: fc.constantFrom('a', 'b', 'c'), value: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('say' as const), d: fc.nat(2), text: fc.string({ maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('create' as const), d: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), d: fc.nat(2), rec: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('sync' as const), d: fc.nat(2) }) },
);

describe('convergence property', () => {
  it('random edits, random sync times, random delivery order and duplicates: all devices converge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3 }), fc.array(op, { minLength: 5, maxLength: 30 }), fc.integer(), fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }), async (n, ops, seed, finalOrder) => {
        const random = prng(seed);
        const proxy = hostileRelay();
        // Every page and push arrives shuffled, some items twice.
        proxy.rewrite = (items) => {
          const out = items.flatMap((i) => (random() < 0.2 ? [i, i] : [i]));
          for (let k = out.length - 1; k > 0; k--) {
            const j = Math.floor(random() * (k + 1));
            [out[k], out[j]] = [out[j]!, out[k]!];
          }
          return out;
        };
        const relay: TestRelay = await startTestRelay();
        const devices = memoryDevices(n, {}, vault);
        for (const d of devices) d.engine = createSyncEngine({ session: d.session, store: d.store, socket: proxy.socket });
        const w = new World(devices);
        try {
          await enableAll(devices, relay.url);
          await w.seed();
          for (const o of ops) await w.apply({ ...o, d: o.d % n });
          await w.settle([...new Set([...finalOrder.map((d) => d % n), ...Array.from({ length: n }, (_, i) => i)])]);
          const pics = devices.map((d) => picture(d.session));
          for (const p of pics.slice(1)) expect(p).toEqual(pics[0]);
          for (const d of devices) expect(d.engine.status()).toMatchObject({ pending: 0, quarantined: 0 });
        } finally {
          for (const d of devices) await d.engine.close();
          await relay.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 600_000);
});
