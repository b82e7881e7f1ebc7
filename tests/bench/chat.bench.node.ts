/**
 * Issue 3 performance: the latency the core adds to a streamed token. The fake provider (same process) stamps
 * each token with the moment it writes it; the core's path ends when the chat.delta event reaches a subscriber of
 * openCore().on, the baseline's when the raw openai SDK (its own fetch, no core) yields the chunk from the same
 * server. Both see the same loopback, HTTP and SSE parsing; the difference is what the core adds (our HTTP layer,
 * the engine, the event, and the once-a-second checkpoint that encrypts and commits the text so far).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeReply } from '../support/fake-openai.node.ts';
import { median, percentile, type BenchRow } from './report.node.ts';

const SUITE = 'chat';
const TOKENS = 1_500;
const SPACING_MS = 2;
const ROUNDS = 2;

/** A reply whose every token is "<n> " with n its index; `sentAt[n]` is when the server wrote it. */
function stampedReply(sentAt: number[]): FakeReply {
  return {
    tokenDelayMs: SPACING_MS,
    emptyChoicesEvery: 0,
    tokens: (i) => {
      if (i >= TOKENS) return null;
      sentAt[i] = performance.now();
      return `<${i}> `;
    },
  };
}

const indexOf = (text: string) => Number(/^<(\d+)> $/.exec(text)?.[1] ?? -1);

export async function run(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-chat-'));
  const ai = await startFakeOpenAI();
  const core = await openCore({ dataDir: join(root, 'vault') });
  try {
    const call = callFor(core);
    await call('vault.create', { passphrase: 'benchmark passphrase' });
    const { id: character } = await call('character.create', { name: 'Bench', description: 'A character for benchmarks.' });
    await call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model', maxTokens: 4096 });
    const sdk = new OpenAI({ apiKey: 'bench', baseURL: ai.baseUrl, maxRetries: 0 });

    const core_: number[] = [];
    const raw: number[] = [];

    const viaCore = async () => {
      const sentAt: number[] = [];
      ai.script(stampedReply(sentAt));
      const { id } = await call('conversation.create', { title: 'bench', characterIds: [character] });
      const done = new Promise<void>((resolve) => {
        const offDone = core.on('chat.done', (e) => {
          if (e.conversationId !== id) return;
          offDone();
          offDelta();
          resolve();
        });
        const offDelta = core.on('chat.delta', (e) => {
          const now = performance.now();
          const i = indexOf(e.text);
          if (i >= 0) core_.push(now - sentAt[i]!);
        });
      });
      await call('chat.send', { conversationId: id, text: 'Count for me.' });
      await done;
    };

    const viaSdk = async () => {
      const sentAt: number[] = [];
      ai.script(stampedReply(sentAt));
      const stream = await sdk.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'Count for me.' }], stream: true });
      for await (const chunk of stream) {
        const now = performance.now();
        const text = chunk.choices[0]?.delta?.content;
        if (!text) continue;
        const i = indexOf(text);
        if (i >= 0) raw.push(now - sentAt[i]!);
      }
    };

    await viaSdk();
    await viaCore();
    raw.length = 0;
    core_.length = 0;
    for (let r = 0; r < ROUNDS; r++) {
      await viaSdk();
      await viaCore();
    }
    if (core_.length < TOKENS * ROUNDS || raw.length < TOKENS * ROUNDS) throw new Error(`lost tokens: core ${core_.length}, sdk ${raw.length}`);

    const p99 = percentile(core_, 99);
    const p99Raw = percentile(raw, 99);
    return [
      { suite: SUITE, name: `token → chat.delta, p50 (${core_.length} tokens)`, value: median(core_), unit: 'ms', baselineName: 'raw openai SDK p50', baseline: median(raw) },
      { suite: SUITE, name: 'token → chat.delta, p99', value: p99, unit: 'ms', baselineName: 'raw openai SDK p99', baseline: p99Raw, target: 'p99 overhead < 5 ms', pass: p99 - p99Raw < 5 },
      { suite: SUITE, name: 'token → chat.delta, max', value: Math.max(...core_), unit: 'ms', baselineName: 'raw openai SDK max', baseline: Math.max(...raw) },
      { suite: SUITE, name: 'p99 overhead the core adds', value: Math.max(0, p99 - p99Raw), unit: 'ms', target: '< 5 ms', pass: p99 - p99Raw < 5 },
    ];
  } finally {
    await core.close();
    await ai.close();
    rmSync(root, { recursive: true, force: true });
  }
}
