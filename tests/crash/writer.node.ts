/**
 * Child process for crash.test.ts: appends messages to a conversation forever, printing each message id on
 * stdout only after the core has committed it. The parent kills it with SIGKILL at a random moment.
 * argv: dataDir conversationId passphrase. KEK_AHEAD: the parent's key for it (support/kek-memo.node.ts); unlock
 * still checks that it opens the wrapping.
 */
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { kekHandedOver } from '../support/kek-memo.node.ts';

const [dataDir, conversationId, passphrase] = process.argv.slice(2) as [string, string, string];
const core = await openCore({ dataDir, kekAhead: kekHandedOver() });
const call = callFor(core);
await call('vault.unlock', { passphrase });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  // Vary sizes so some appends trigger compaction and some span several pages.
  const text = `crash-test message ${i} ${'x'.repeat((i * 7919) % 3000)}`;
  const m = await call('conversation.addMessage', { id: conversationId, role: i % 2 ? 'character' : 'user', text });
  process.stdout.write(`${m.id}\n`);
}
