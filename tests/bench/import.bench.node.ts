/**
 * Importing a 10,000-message SillyTavern chat (issue "Coming from SillyTavern": < 5 s), beside the baseline of
 * reading and parsing the same .jsonl as plain JSON in the same run. Character messages carry three swipes with
 * reasoning, as a reasoning model's chat would.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { formatStMessageDate } from '../../electron/core/sillytavern/chat.std.ts';
import { messageText } from './relay/dataset.node.ts';
import type { BenchRow } from './report.node.ts';

const SUITE = 'import';
const N = 10_000;

/** A chat as SillyTavern's saveChat writes it (see tests/fixtures/sillytavern/README.md). */
function stChat(): string {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Mira', create_date: '2024-9-28 @01h 02m 36s 123ms', chat_metadata: { note_prompt: 'bench' } })];
  const t0 = Date.UTC(2024, 8, 28);
  for (let i = 0; i < N; i++) {
    const send_date = formatStMessageDate(t0 + i * 60_000);
    if (i % 2 === 0) {
      lines.push(JSON.stringify({ name: 'You', is_user: true, is_system: false, send_date, mes: messageText(i), extra: {} }));
      continue;
    }
    const swipes = [messageText(i), messageText(i + 1), messageText(i + 2)];
    lines.push(JSON.stringify({
      name: 'Mira', is_user: false, is_system: false, send_date, mes: swipes[1], extra: { reasoning: `Thinking about ${i}.` }, swipe_id: 1, swipes,
      swipe_info: swipes.map((_, k) => ({ send_date, gen_started: null, gen_finished: null, extra: { reasoning: `Thinking about ${i}, take ${k}.` } })),
    }));
  }
  return `${lines.join('\n')}\n`;
}

export async function run(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-import-'));
  try {
    const file = join(root, 'chat.jsonl');
    writeFileSync(file, stChat());
    let t = performance.now();
    const parsed = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const baseline = performance.now() - t;

    const core = await openCore({ dataDir: join(root, 'vault') });
    const call = callFor(core);
    await call('vault.create', { passphrase: 'bench import' });
    t = performance.now();
    const bytesBase64 = readFileSync(file).toString('base64');
    const report = await call('import.files', { files: [{ path: 'chat.jsonl', bytesBase64 }] });
    const took = performance.now() - t;
    const [entry] = await call('records.list', { kind: 'conversation' });
    const conv = await call('conversation.get', { id: entry!.id });
    await core.close();
    if (report.imported.conversations !== 1 || conv.messages.length !== N || parsed.length !== N + 1) throw new Error('the bench chat did not import whole');
    return [
      {
        suite: SUITE,
        name: `import a ${N.toLocaleString('en')}-message SillyTavern chat (3 swipes + reasoning per reply)`,
        value: took,
        unit: 'ms',
        baselineName: 'read + JSON.parse the same .jsonl',
        baseline,
        target: '< 5000 ms',
        pass: took < 5_000,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
