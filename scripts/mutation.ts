/**
 * `npm run mutation`: mutation testing (StrykerJS) over the security-critical modules, one module at a time, each
 * with only the test files that cover it and its own incremental file (reports/mutation/<module>.incremental.json),
 * so a rerun after a small change costs minutes. Not part of `npm test`. Scores and survivors: docs/testing.md.
 *
 *   npm run mutation                                   every module below, in order
 *   npm run mutation -- sync-inbound pairing           the named modules
 *   npm run mutation -- --mutate electron/core/sync/inbound.node.ts    the module holding that file
 *   npm run mutation -- --mutate electron/core/sync/inbound.node.ts:134-208    only those lines (Stryker's ranges)
 *   npm run mutation -- --list                         the modules, their files and tests
 *   npm run mutation -- wipe --force                   ignore the incremental file (other flags go to Stryker)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

interface Module {
  mutate: string[];
  tests: string[];
}

/** Test files are chosen per module: the ones that exercise it directly, not every test that imports it. */
export const modules: Record<string, Module> = {
  'sync-inbound': {
    mutate: ['electron/core/sync/inbound.node.ts'],
    // The checks' own tests, and the engine's, which reach the apply paths (fresh and open documents, snapshots,
    // tombstones). perTest coverage runs only those that reach each mutant. assets, hostile-freshness,
    // apply-rollback and convergence tests reach the same code again; each survivor runs every test that reaches it,
    // so with them a run took hours on the shared machine.
    tests: [
      'tests/sync/inbound-checks.test.ts',
      'tests/sync/inbound-chain.test.ts',
      'tests/sync/inbound-apply.test.ts',
      // targetDoc/storeRaw (a document first met in a batch), the quarantine record, a tombstone's effects.
      'tests/sync/inbound-effects.test.ts',
      // The tombstone branches for conversations (their segments) and assets.
      'tests/sync/outbox.test.ts',
      'tests/sync/hostile.test.ts',
      'tests/sync/engine.test.ts',
      // The asset path and the rollback of fresh documents; slow (a relay process), so narrow a run that has them
      // to the lines they reach (docs/testing.md).
      'tests/sync/assets.test.ts',
      'tests/sync/apply-rollback.test.ts',
    ],
  },
  // pair-code.test.ts reaches every function; devices.test.ts pairs end to end through the relay.
  pairing: { mutate: ['electron/core/sync/pair-code.node.ts'], tests: ['electron/core/sync/pair-code.test.ts'] },
  // Unit tests reach every function; devices.test.ts and revocation.test.ts take the same code end to end.
  keyring: { mutate: ['electron/core/sync/keyring.node.ts'], tests: ['electron/core/sync/keyring.test.ts', 'electron/core/sync/format.test.ts'] },
  // pending-wipe.node.ts holds the signed request kept for a relay that was unreachable (moved out of wipe.node.ts so
  // that a CLI status check need not load the sync engine).
  wipe: {
    mutate: ['electron/core/sync/wipe.node.ts', 'electron/core/sync/pending-wipe.node.ts'],
    tests: ['electron/core/sync/wipe.test.ts', 'tests/sync/wipe.test.ts'],
  },
  envelope: {
    mutate: ['electron/core/crypto/envelope.node.ts', 'electron/core/crypto/padding.std.ts'],
    tests: ['electron/core/crypto/envelope.test.ts', 'electron/core/crypto/padding.test.ts'],
  },
  'web-guard': { mutate: ['electron/core/web/guard.node.ts'], tests: ['electron/core/web/guard.test.ts', 'tests/web/server.test.ts'] },
  'sync-format': { mutate: ['electron/core/sync/format.node.ts'], tests: ['electron/core/sync/format.test.ts'] },
  // doc-store.test.ts reaches every check; tamper.test.ts does the same through the whole app (a KDF per test).
  'doc-store': { mutate: ['electron/core/docs/doc-store.node.ts'], tests: ['electron/core/docs/doc-store.test.ts'] },
  // generations.test.ts reaches the key generations, the header of a rotated key and every opening path without
  // Argon2id (a random key-encryption key handed in as a key derived ahead), in seconds; vault.test.ts takes the
  // passphrase paths (an Argon2id derivation each, the product's own parameters). tests/sync/rekey.test.ts and the
  // recovery tests reach the same code through the app and relay, minutes per mutant: left out.
  vault: {
    mutate: ['electron/core/vault/vault.node.ts'],
    tests: ['electron/core/vault/generations.test.ts', 'electron/core/vault/vault.test.ts', 'tests/core/lock.test.ts'],
  },
  sodium: { mutate: ['electron/core/crypto/sodium.node.ts'], tests: ['electron/core/crypto/sodium.test.ts', 'electron/core/crypto/envelope.test.ts'] },
  // spec.test.ts pins the mapping field by field; errors and fixtures take it through real cards and every
  // container. formats.test.ts is left out: its property runs 600 round trips for every mutant it reaches (a
  // 50-minute run under load instead of minutes), and spec.test.ts pins what it found.
  'cards-spec': {
    mutate: ['electron/core/cards/spec.node.ts'],
    tests: ['electron/core/cards/spec.test.ts', 'electron/core/cards/errors.test.ts', 'electron/core/cards/fixtures.test.ts'],
  },
  // The local store below the encryption: the database's opening checks, both storages (one shared suite) and the
  // folder lock. Migrations have a test each and are reached through db.test.ts; they are mostly SQL strings.
  store: {
    mutate: ['electron/core/store/db.node.ts', 'electron/core/store/sqlite-storage.node.ts', 'electron/core/store/storage.node.ts', 'electron/core/store/folder-lock.node.ts'],
    tests: ['electron/core/store/db.test.ts', 'electron/core/store/storage.test.ts', 'electron/core/store/folder-lock.test.ts'],
  },
  // The documents above doc-store: the live-document repository (commit, compaction, trimming) and the catalog.
  'docs-repo': {
    mutate: ['electron/core/docs/repo.node.ts', 'electron/core/docs/catalog.node.ts'],
    tests: ['electron/core/docs/repo.test.ts', 'electron/core/docs/catalog.test.ts'],
  },
  // The record manifest (rollback of a whole record), apart from docs-repo: repo.test.ts reaches it through every
  // commit (300 of them in its compaction test), which made each manifest mutant cost seconds for nothing.
  // tests/core/rollback.test.ts does the same checks through the app.
  manifest: { mutate: ['electron/core/docs/manifest.node.ts'], tests: ['electron/core/docs/manifest.test.ts'] },
  // What leaves the device and what the ledger records (docs/chat.md "What leaves the device", "The ledger"): the
  // header allow-list and byte meter, the request body, the SDK's identity headers, key scrubbing, failure tags and
  // the ledger's outcome words. provider-client's streaming loop (`streamChat`, from line 192) is the chat engine's, not privacy.
  'chat-privacy': {
    mutate: ['electron/core/chat/http.node.ts', 'electron/core/chat/provider-client.node.ts:18-191', 'electron/core/chat/engine.node.ts:83-86', 'electron/core/docs/ledger-doc.node.ts'],
    tests: ['electron/core/chat/http.test.ts', 'electron/core/chat/provider-client.test.ts', 'electron/core/docs/ledger-doc.test.ts'],
  },
  // outbox-items.test.ts drives the real outbox with a real store and real keys, no relay (another device's items
  // reach the receiver's inbound path signed, as a relay would serve them), and reads every item it prepares:
  // each whole-file mutant costs a few seconds. outbox.test.ts takes deletions through an in-process relay.
  // engine.test.ts and inbound-apply.test.ts (relay rounds, live mode) reach the same lines again, much slower
  // per mutant: with them a whole-file run was estimated at 2.5 hours under load (docs/testing.md).
  'sync-outbox': { mutate: ['electron/core/sync/outbox.node.ts'], tests: ['tests/sync/outbox-items.test.ts', 'tests/sync/outbox.test.ts'] },
  // The relay's protocol handling, through an in-process relay (the tests that spawn one run the unmutated code).
  // session.test.ts and wipe-handler.test.ts reach every handler on memory storage in seconds; tests/relay/wipe.test.ts
  // (the same wipe through SQLite and a throwaway PostgreSQL cluster, and what stays on disk) is left out as slow.
  'relay-session': {
    mutate: ['sync-server/session.node.ts'],
    tests: [
      'tests/relay/sync.test.ts',
      'tests/relay/auth.test.ts',
      'tests/relay/bad-input.test.ts',
      'tests/relay/limits.test.ts',
      'tests/relay/session.test.ts',
      'tests/relay/wipe-handler.test.ts',
      'tests/relay/public-limits.test.ts',
      // The connection plumbing (lines 1–239: timers, frame limits, pauses, slow consumers, write refusals), with
      // fake timers where the relay waits.
      'tests/relay/session-limits.test.ts',
      // What the session logs for the operator (refusals, internal failures, dropped slow consumers) and that no
      // timer of an ended connection fires later.
      'tests/relay/session-logs.test.ts',
    ],
  },
  // The relay's verifier thread for large item signatures (the caller's half and the thread's), apart from
  // relay-session: its module-level code is "static" to Stryker (each such mutant runs every test given), and
  // relay-session's list holds slow cases (a real-time auth timeout, a 64 MiB slow consumer). item-verifier.test.ts
  // runs the thread's check in process (mutants on the thread itself cannot be activated or seen by Stryker); the
  // three others send large items through a relay in process (stored, pushed, refused forged, penalised).
  'relay-verifier': {
    mutate: ['sync-server/item-verifier.node.ts', 'sync-server/item-verifier.worker.node.ts'],
    tests: ['tests/relay/item-verifier.test.ts', 'tests/relay/sync.test.ts', 'tests/relay/session.test.ts', 'tests/relay/public-limits.test.ts'],
  },
  // The shared storage suite, which runs against memory, SQLite and PostgreSQL: each mutant runs only the cases that
  // reach its implementation. PostgreSQL needs /usr/lib/postgresql/15/bin (tests/support/postgres.node.ts).
  // sqlite-storage.test.ts: what only SQLite does (reopening its file, bringing an older relay's database up to date).
  'relay-storage': {
    mutate: ['sync-server/storage/sqlite.node.ts', 'sync-server/storage/common.node.ts'],
    tests: ['tests/relay/storage.test.ts', 'tests/relay/sqlite-storage.test.ts'],
  },
  // The shared suite's PostgreSQL cases, what only PostgreSQL does (two instances, LISTEN/NOTIFY, reconnecting) and
  // two relays on one database. The PostgreSQL tests share one cluster per Stryker worker (vitest.stryker.config.ts).
  'relay-storage-pg': {
    mutate: ['sync-server/storage/postgres.node.ts'],
    tests: ['tests/relay/storage.test.ts', 'tests/relay/postgres-storage.test.ts', 'tests/relay/fanout.test.ts'],
  },
};

function usage(message: string): never {
  console.error(`${message}\nModules: ${Object.keys(modules).join(', ')} (npm run mutation -- --list).`);
  process.exit(2);
}

const args = process.argv.slice(2);
const chosen: string[] = [];
const passOn: string[] = [];
/** Per module, what --mutate narrowed it to (a file of the module, or a line range of one). */
const narrowed = new Map<string, string[]>();
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--list') {
    for (const [name, m] of Object.entries(modules)) console.log(`${name}\n  mutates ${m.mutate.join(', ')}\n  tests   ${m.tests.join(', ')}`);
    process.exit(0);
  } else if (a === '--mutate' || a === '-m') {
    const spec = (args[++i] ?? usage('--mutate needs a file.')).replace(/^\.\//, '');
    const file = spec.replace(/:[\d:-]+$/, '');
    const name = Object.keys(modules).find((n) => modules[n]!.mutate.some((m) => m.replace(/:[\d:-]+$/, '') === file));
    if (!name) usage(`${file} is in no module of scripts/mutation.ts; add it there with the tests that cover it.`);
    if (!chosen.includes(name)) chosen.push(name);
    narrowed.set(name, [...(narrowed.get(name) ?? []), spec]);
  } else if (a.startsWith('-')) {
    passOn.push(a);
  } else if (Object.hasOwn(modules, a)) {
    chosen.push(a);
  } else {
    usage(`Unknown module "${a}".`);
  }
}

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'reports', 'mutation');
mkdirSync(outDir, { recursive: true });
// Tests read shared fixtures as ../shared from the project root (the real character cards); from Stryker's sandbox,
// .stryker-tmp/<sandbox>/, that path is .stryker-tmp/shared: point it at the same folder.
const shared = join(root, '..', 'shared');
const sandboxShared = join(root, '.stryker-tmp', 'shared');
if (existsSync(shared) && !existsSync(sandboxShared)) {
  mkdirSync(join(root, '.stryker-tmp'), { recursive: true });
  symlinkSync(shared, sandboxShared, 'dir');
}
let failed = 0;
for (const name of chosen.length ? chosen : Object.keys(modules)) {
  const m = modules[name]!;
  console.log(`\n=== ${name}: ${m.mutate.join(', ')}\n    tests: ${m.tests.join(', ')}`);
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'),
      'run',
      'stryker.config.mjs',
      '--mutate',
      (narrowed.get(name) ?? m.mutate).join(','),
      '--incrementalFile',
      join('reports', 'mutation', `${name}.incremental.json`),
      ...passOn,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, MUTATION_TESTS: m.tests.join(',') } },
  );
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
