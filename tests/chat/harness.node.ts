/** Shared set-up for chat tests: a real core and vault, a character and conversation, the fake provider. */
import type { ApiEvents } from '../../shared/api/index.std.ts';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { tempDir } from '../support/files.node.ts';

export const PASS = 'chat test passphrase';

export interface ChatHarness {
  dir: string;
  core: Core;
  call: Call;
  characterId: string;
  newConversation(extra?: { characterIds?: string[]; provider?: string; personaId?: string }): Promise<string>;
}

/**
 * Short checkpoints (200 ms), and the first-token and stall timeouts a file's timeout tests ask for; set before the
 * core (and its engine) starts. Every other reply in the file runs under the same timeouts, with the fake provider in
 * this process: a process the machine does not schedule for longer than a timeout (under load, a second is seen)
 * turns a healthy reply into a timeout. So the product's own timeouts (60 s, 30 s) stay unless a test asks, and a
 * file that does ask for seconds, not hundreds of milliseconds, and makes its provider wait forever (`Infinity`), not a
 * little longer than the timeout.
 */
export function useShortTimeouts(t: { firstTokenMs?: number; stallMs?: number; checkpointMs?: number } = {}): void {
  const set = (name: string, ms: number | undefined) => (ms === undefined ? delete process.env[name] : (process.env[name] = String(ms)));
  set('MINDSTAGE_FIRST_TOKEN_TIMEOUT_MS', t.firstTokenMs);
  set('MINDSTAGE_STALL_TIMEOUT_MS', t.stallMs);
  set('MINDSTAGE_CHECKPOINT_MS', t.checkpointMs ?? 200);
}

export async function openChatHarness(dir = tempDir('chat')): Promise<ChatHarness> {
  const core = await openCore({ dataDir: dir });
  const call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const { id: characterId } = await call('character.create', { name: 'Mira', description: '{{char}} keeps the lighthouse.', personality: 'calm' });
  return {
    dir,
    core,
    call,
    characterId,
    newConversation: async (extra = {}) =>
      (await call('conversation.create', { title: 'test', characterIds: extra.characterIds ?? [characterId], ...(extra.provider ? { provider: extra.provider } : {}), ...(extra.personaId ? { personaId: extra.personaId } : {}) })).id,
  };
}

export interface Reply {
  done: ApiEvents['chat.done'];
  deltas: string[];
  text: string;
}

/** Collects the deltas of the next reply in a conversation until its chat.done. Subscribe before starting it. */
export function nextReply(core: Core, conversationId: string, timeoutMs = 120_000): Promise<Reply> & { deltas: string[] } {
  const deltas: string[] = [];
  const p = new Promise<Reply>((resolve, reject) => {
    const offDelta = core.on('chat.delta', (e) => {
      if (e.conversationId === conversationId) deltas.push(e.text);
    });
    const timer = setTimeout(() => {
      offDelta();
      offDone();
      reject(new Error(`no chat.done within ${timeoutMs} ms`));
    }, timeoutMs);
    const offDone = core.on('chat.done', (done) => {
      if (done.conversationId !== conversationId) return;
      clearTimeout(timer);
      offDelta();
      offDone();
      resolve({ done, deltas, text: deltas.join('') });
    });
  });
  return Object.assign(p, { deltas });
}

/** The chosen alternative of a message as stored. */
export async function storedAlternative(call: Call, conversationId: string, messageId: string) {
  const c = await call('conversation.get', { id: conversationId });
  const m = c.messages.find((x) => x.id === messageId);
  if (!m) throw new Error(`message ${messageId} not found`);
  return { message: m, alt: m.alternatives[m.chosen]! };
}

/** Waits for something that will happen; the limit only ends a hung test (vitest's own is 300 s), it times nothing. */
export async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
