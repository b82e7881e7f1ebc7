/**
 * A vault made by the previous version (tests/fixtures/legacy-vault, made at commit 5bdf4f0 with one document per
 * conversation, compacted once, with an uncompacted tail) opens and migrates with nothing lost: every message, every
 * alternative, edit, choice and deletion reads back exactly as that version returned it, before and after a restart.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import type { Conversation } from '../../shared/domain.std.ts';

const fixture = join(import.meta.dirname, '../fixtures/legacy-vault');
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { passphrase: string; character: string; conversation: Conversation };

async function openCopy(dir: string) {
  const core = await openCore({ dataDir: dir });
  const call = callFor(core);
  await call('vault.unlock', { passphrase: expected.passphrase });
  return { core, call };
}

describe('a vault made by the previous version', () => {
  it('opens with every message intact, keeps working, and reads the same after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-legacy-'));
    cpSync(join(fixture, 'vault'), dir, { recursive: true });
    const want = expected.conversation;
    expect(want.messages.length).toBe(538);

    const first = await openCopy(dir);
    const got = await first.call('conversation.get', { id: want.id });
    expect(got.messages).toEqual(want.messages);
    expect(got.title).toBe(want.title);
    expect(got.characterIds).toEqual([expected.character]);
    // The migrated conversation takes new messages and edits of old ones.
    const added = await first.call('conversation.addMessage', { id: want.id, role: 'user', text: 'after the upgrade' });
    await first.call('conversation.editMessage', { id: want.id, messageId: 'msg-0', text: 'edited after the upgrade' });
    await first.core.close();

    const second = await openCopy(dir);
    const again = await second.call('conversation.get', { id: want.id });
    const others = (ms: Conversation['messages']) => ms.filter((m) => m.id !== 'msg-0');
    expect(others(again.messages.slice(0, -1))).toEqual(others(want.messages));
    const msg0 = again.messages[0]!;
    expect(msg0.alternatives[msg0.chosen]!.text).toBe('edited after the upgrade');
    expect(again.messages.at(-1)).toEqual(added);
    await second.core.close();
  });
});
