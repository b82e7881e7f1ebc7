/**
 * The storage bench's child processes, so each peak RSS is one process's own (process.resourceUsage().maxRSS):
 *
 *   import <export.json> <dir> <passphrase>   create a vault, then import the file: time of the import alone
 *   plain-import <export.json> <out.jsonl>    the baseline: parse the same file and write it as plaintext JSONL
 *   idle <dir> <passphrase> <conversation>    unlock, list, add one message (the chat on screen), sit idle, lock
 *   empty-idle <dir> <passphrase>             the baseline: the same core with an empty vault, unlocked and idle
 *                                             (module graph and Argon2id's memory: what no message layout changes)
 *   append <dir> <passphrase> <conversation> <n>  as the app does: unlock, read the first screen, then n appends
 *                                             through the API (each committed, compaction when due): per-append
 *                                             wall and CPU times. A process of its own, so what earlier bench steps
 *                                             left for the garbage collector does not land in these appends.
 *
 * Prints one JSON line: { ms?, peakMB, rssMB?, lockMs?, wall?, cpu? }.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';

const [mode, a, b, c] = process.argv.slice(2) as [string, string, string, string];
const peakMB = () => process.resourceUsage().maxRSS / 1024;
const rssAfterIdle = async () => {
  await sleep(500);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(500);
  return process.memoryUsage().rss / 2 ** 20;
};

if (mode === 'import') {
  const core = await openCore({ dataDir: b });
  const call = callFor(core);
  await call('vault.create', { passphrase: c });
  const json = readFileSync(a, 'utf8');
  const t = performance.now();
  await call('data.import', { json });
  const ms = performance.now() - t;
  await core.close();
  console.log(JSON.stringify({ ms, peakMB: peakMB() }));
} else if (mode === 'plain-import') {
  const t = performance.now();
  const file = JSON.parse(readFileSync(a, 'utf8')) as { conversations: { messages: unknown[] }[] };
  writeFileSync(b, `${file.conversations[0]!.messages.map((m) => JSON.stringify(m)).join('\n')}\n`);
  console.log(JSON.stringify({ ms: performance.now() - t, peakMB: peakMB() }));
} else if (mode === 'idle') {
  const core = await openCore({ dataDir: a });
  const call = callFor(core);
  await call('vault.unlock', { passphrase: b });
  await call('records.list', {});
  await call('conversation.addMessage', { id: c, role: 'user', text: 'still here' });
  const rssMB = await rssAfterIdle();
  // Then lock: vault.lock answers once its memory scrub is done (electron/core/memory.node.ts).
  const t = performance.now();
  await call('vault.lock', {});
  console.log(JSON.stringify({ rssMB, peakMB: peakMB(), lockMs: performance.now() - t }));
  await core.close();
} else if (mode === 'empty-idle') {
  const core = await openCore({ dataDir: a });
  const call = callFor(core);
  await call('vault.create', { passphrase: b });
  await call('records.list', {});
  const rssMB = await rssAfterIdle();
  // Then lock: vault.lock answers once its memory scrub is done (electron/core/memory.node.ts).
  const t = performance.now();
  await call('vault.lock', {});
  console.log(JSON.stringify({ rssMB, peakMB: peakMB(), lockMs: performance.now() - t }));
  await core.close();
} else if (mode === 'append') {
  const { messageText } = await import('./relay/dataset.node.ts');
  const core = await openCore({ dataDir: a });
  const call = callFor(core);
  await call('vault.unlock', { passphrase: b });
  await call('conversation.window', { id: c, limit: 50 });
  const wall: number[] = [];
  const cpu: number[] = [];
  // What runs between two commands: in the app each command is its own I/O event, so work the core leaves for a
  // later turn of the event loop (the WAL checkpoint, decision 71) runs between them. The loop yields the same way,
  // and times that turn on its own: a command that arrived during it would have waited that long.
  const between: number[] = [];
  for (let i = 0; i < Number(process.argv[6]); i++) {
    const u = process.cpuUsage();
    const t = performance.now();
    await call('conversation.addMessage', { id: c, role: i % 2 ? 'character' : 'user', text: messageText(i) });
    wall.push(performance.now() - t);
    const d = process.cpuUsage(u);
    cpu.push((d.user + d.system) / 1000);
    const g = performance.now();
    await new Promise<void>((r) => setImmediate(r));
    between.push(performance.now() - g);
  }
  await core.close();
  console.log(JSON.stringify({ wall, cpu, between, peakMB: peakMB() }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
