/**
 * Child process for crash.test.ts: unlocks the vault, sends a message, and lets the reply stream from the (slow)
 * fake provider until the parent kills it with SIGKILL. Prints "started <userMessageId> <replyMessageId>".
 * argv: dataDir conversationId passphrase
 */
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { kekHandedOver } from '../support/kek-memo.node.ts';

const [dataDir, conversationId, passphrase] = process.argv.slice(2) as [string, string, string];
const core = await openCore({ dataDir, kekAhead: kekHandedOver() });
const call = callFor(core);
await call('vault.unlock', { passphrase });
const started = await call('chat.send', { conversationId, text: 'Tell me everything, slowly.' });
process.stdout.write(`started ${started.userMessageId} ${started.replyMessageId}\n`);
core.on('chat.done', () => process.stdout.write('done\n'));
// Keep the process alive until killed.
setInterval(() => {}, 1_000);
