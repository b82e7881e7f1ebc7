/**
 * Child process for crash.test.ts. argv: mode dataDir passphrase conversationId start
 *   write: appends messages "sync-crash <n>" from n = start, printing "ok <n>" after each commit; syncs every 4
 *          messages (printing "synced <up> <down>"), carrying on through relay errors.
 *   pull:  syncs in a loop, printing "synced <up> <down>".
 * The parent SIGKILLs it (and sometimes the relay) at random moments. It unlocks with the key-encryption key the parent
 * derived once for the folder (tests/support/kek-memo.node.ts), not 20 Argon2id runs of its own.
 */
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { kekHandedOver } from '../support/kek-memo.node.ts';

const [mode, dataDir, passphrase, conversationId, startText] = process.argv.slice(2) as [string, string, string, string, string];
const core = await openCore({ dataDir, kekAhead: kekHandedOver() });
const call = callFor(core);
await call('vault.unlock', { passphrase });
process.stdout.write('ready\n');
const sync = async () => {
  try {
    const r = await call('sync.now', {});
    if (r.problems.length) process.stdout.write(`problem ${r.problems[0]!.message}\n`);
    process.stdout.write(`synced ${r.up} ${r.down}\n`);
  } catch (e) {
    process.stdout.write(`offline ${(e as Error).message.slice(0, 80)}\n`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
// A kill can land after a commit but before its "ok" line: start after the last message really in the vault, so no
// number is ever written twice (a duplicate would then mean sync applied something twice).
const existing = mode === 'write' ? (await call('conversation.get', { id: conversationId })).messages.map((m) => Number(/^sync-crash (\d+)/.exec(m.alternatives[0]!.text)?.[1] ?? -1)) : [];
for (let n = Math.max(Number(startText), ...existing.map((x) => x + 1)); ; n++) {
  if (mode === 'write') {
    await call('conversation.addMessage', { id: conversationId, role: 'user', text: `sync-crash ${n} ${'y'.repeat((n * 7919) % 2000)}` });
    process.stdout.write(`ok ${n}\n`);
    if (n % 4 === 3) await sync();
  } else {
    await sync();
  }
}
