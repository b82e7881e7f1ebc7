/**
 * Locking through the API (what the lock button, the idle timer and `vault.lock` all call) wipes the keys the
 * session held: the vault key and every subkey derived from it are zeroed in place, not just dropped — a dropped
 * reference would leave them in memory until the garbage collector happened to reuse the bytes.
 */
import { describe, expect, it } from 'vitest';
import { CoreState } from '../../electron/core/api/state.node.ts';
import { createHandlers } from '../../electron/core/api/handlers.node.ts';
import { tempDir } from '../support/files.node.ts';

const PASS = 'lock test passphrase';

async function unlockedCore(exitsAfterClose = false) {
  const locked: string[] = [];
  const state = new CoreState(tempDir('lock'), (event, payload) => void (event === 'vault.locked' && locked.push((payload as { reason: string }).reason)), undefined, exitsAfterClose);
  const handlers = createHandlers(state) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
  await handlers['vault.create']!({ passphrase: PASS });
  return { state, handlers, locked };
}

/** The session's key material, by reference: the very arrays the vault holds. */
function keysOf(state: CoreState) {
  const vault = state.session!.vault;
  const keys = [vault.vaultKeyForWrap(), vault.subkey('localStore'), vault.subkey('idHash')];
  expect(keys.every((k) => k.some((b) => b !== 0))).toBe(true);
  return { vault, keys };
}

describe('locking the vault', () => {
  it('vault.lock zeroes the vault key and every subkey the session derived, and leaves no session', async () => {
    const { state, handlers, locked } = await unlockedCore();
    const { vault, keys } = keysOf(state);
    await handlers['vault.lock']!({});
    expect(vault.locked).toBe(true);
    for (const k of keys) expect(k.every((b) => b === 0)).toBe(true);
    expect(state.session).toBeNull();
    expect(() => state.requireSession()).toThrow(expect.objectContaining({ code: 'locked' }));
    expect(locked).toEqual(['manual']);
    state.close();
  });

  it('unlocking again replaces the session and zeroes the keys of the one it replaces', async () => {
    const { state, handlers } = await unlockedCore();
    const first = keysOf(state);
    await handlers['vault.unlock']!({ passphrase: PASS });
    for (const k of first.keys) expect(k.every((b) => b === 0)).toBe(true);
    expect(keysOf(state).vault).not.toBe(first.vault);
    state.close();
  });

  it('closing zeroes the keys, also in a process that exits next (the CLI); only a core that lives on runs the memory scrub', async () => {
    for (const exitsAfterClose of [false, true]) {
      const { state } = await unlockedCore(exitsAfterClose);
      const { vault, keys } = keysOf(state);
      let settled = false;
      state.close();
      void state.lockSettled().then(() => (settled = true));
      expect(vault.locked).toBe(true);
      for (const k of keys) expect(k.every((b) => b === 0)).toBe(true);
      // Microtasks only: a scrub waits for its timer, so a lock that scrubs has not settled yet; one that does not
      // scrub (CoreOptions.exitsAfterClose) has nothing left to wait for.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(settled).toBe(exitsAfterClose);
      await state.lockSettled();
    }
  });
});
