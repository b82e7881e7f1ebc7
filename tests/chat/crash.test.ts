/**
 * Crash while streaming: a child process streams a reply from a slow fake provider and is killed with SIGKILL.
 * Reopened, the conversation has the user's message and a checkpointed partial reply holding at least every token
 * that arrived more than 1.5 s before the kill (checkpoints run every second), and nothing that never arrived.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { folderKek, kekMemo } from '../support/kek-memo.node.ts';

const PASS = 'crash chat passphrase';
const child = fileURLToPath(new URL('./stream-child.node.ts', import.meta.url));
let ai: FakeOpenAI;
// The vault's Argon2id once: each reopen here and each child unlocks with its answer (this test is about crashes).
const kek = kekMemo();

beforeAll(async () => {
  ai = await startFakeOpenAI();
});
afterAll(() => ai.close());

/** Runs the child until `ms` after the first token was sent, kills it, and returns the ids it printed. */
function streamAndKill(dir: string, conversationId: string, sent: { at: number }[], ms: number): Promise<{ user: string; reply: string; killedAt: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', child, dir, conversationId, PASS], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MINDSTAGE_CHECKPOINT_MS: '1000', MINDSTAGE_STALL_TIMEOUT_MS: '30000', ...folderKek(kek, dir, PASS) },
    });
    let out = '';
    let err = '';
    let killedAt = 0;
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const poll = setInterval(() => {
      if (killedAt || sent.length === 0) return;
      if (Date.now() - sent[0]!.at >= ms) {
        killedAt = Date.now();
        proc.kill('SIGKILL');
      }
    }, 5);
    proc.on('exit', (_code, signal) => {
      clearInterval(poll);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own: ${out} ${err}`));
      const m = /^started (\S+) (\S+)$/m.exec(out);
      if (!m) return reject(new Error(`child printed no ids: ${out} ${err}`));
      if (out.includes('done')) return reject(new Error('the reply finished before the kill'));
      resolve({ user: m[1]!, reply: m[2]!, killedAt });
    });
  });
}

describe('a crash while a reply streams', () => {
  it('keeps the user message and a checkpoint at most ~1 s behind, over several kills', async () => {
    const dir = tempDir('chat-crash');
    let core = await openCore({ dataDir: dir });
    let call = callFor(core);
    await call('vault.create', { passphrase: PASS });
    const { id: character } = await call('character.create', { name: 'Teller' });
    await call('provider.add', { name: 'slow', baseUrl: ai.baseUrl, model: 'fake-model' });
    await core.close();

    for (const ms of [2_300, 3_100, 3_900]) {
      core = await openCore({ dataDir: dir, kekAhead: kek });
      call = callFor(core);
      await call('vault.unlock', { passphrase: PASS });
      const { id } = await call('conversation.create', { title: `crash ${ms}`, characterIds: [character] });
      await core.close();

      const sent: { at: number; token: string }[] = [];
      ai.script({
        tokenDelayMs: 40,
        tokens: (i) => {
          if (i >= 2_000) return null;
          const token = `t${i} `;
          sent.push({ at: Date.now(), token });
          return token;
        },
      });
      const ids = await streamAndKill(dir, id, sent, ms);

      core = await openCore({ dataDir: dir, kekAhead: kek });
      call = callFor(core);
      await call('vault.unlock', { passphrase: PASS });
      const c = await call('conversation.get', { id });
      await core.close();
      expect(c.messages.map((m) => m.id)).toEqual([ids.user, ids.reply]);
      expect(c.messages[0]!.alternatives[0]!.text).toBe('Tell me everything, slowly.');
      const saved = c.messages[1]!.alternatives[0]!;
      expect(saved.status).toBe('streaming');
      const all = sent.map((s) => s.token).join('');
      const mustHave = sent.filter((s) => s.at < ids.killedAt - 1_500).map((s) => s.token).join('');
      expect(mustHave.length).toBeGreaterThan(0);
      // A prefix of what was sent, at least everything sent 1.5 s before the kill.
      expect(all.startsWith(saved.text)).toBe(true);
      expect(saved.text.length).toBeGreaterThanOrEqual(mustHave.length);
    }
  });
});
