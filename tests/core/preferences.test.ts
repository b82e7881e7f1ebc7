/**
 * Preferences the UI keeps in the vault (favourites, how the chat looks, reading aloud): defaults, partial updates
 * that leave the rest alone, a reopened vault that still has them, and bad input refused with a clear error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';

const cores: Core[] = [];
afterAll(async () => {
  for (const c of cores) await c.close();
});

const refusal = async (p: Promise<unknown>) => p.then(() => null, (e: { code: string; message: string }) => ({ code: e.code, message: e.message }));

describe('preferences', () => {
  it('start at their defaults, change one at a time, and survive locking and reopening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ms-prefs-'));
    const core = await openCore({ dataDir });
    cores.push(core);
    const call = callFor(core);
    await call('vault.create', { passphrase: 'preferences test' });
    expect(await call('settings.get', {})).toEqual({ idleLockMinutes: 15, theme: 'system', favourites: [], chatStyle: 'bubbles', fontSize: 16, chatWidth: 'medium', readAloud: false, voices: {} });
    const { id } = await call('character.create', { name: 'Ada' });
    await call('settings.update', { favourites: [id], chatStyle: 'document' });
    await call('settings.update', { fontSize: 20, accent: '#b8336a', readAloud: true, voices: { [id]: 'Local Bram' } });
    const want = { favourites: [id], chatStyle: 'document', fontSize: 20, chatWidth: 'medium', accent: '#b8336a', readAloud: true, voices: { [id]: 'Local Bram' }, theme: 'system' };
    expect(await call('settings.get', {})).toMatchObject(want);
    // An empty accent is the theme's own.
    expect((await call('settings.update', { accent: '' })).accent).toBe('');

    await call('vault.lock', {});
    await core.close();
    const again = await openCore({ dataDir });
    cores.push(again);
    const call2 = callFor(again);
    await call2('vault.unlock', { passphrase: 'preferences test' });
    expect(await call2('settings.get', {})).toMatchObject({ ...want, accent: '' });
  });

  it('refuses what is not a preference, naming the field', async () => {
    const core = await openCore({ dataDir: mkdtempSync(join(tmpdir(), 'ms-prefs-bad-')) });
    cores.push(core);
    const call = callFor(core);
    await call('vault.create', { passphrase: 'preferences test' });
    const before = await call('settings.get', {});
    for (const bad of [
      { accent: 'red' },
      { accent: '#12345' },
      { fontSize: 40 },
      { chatStyle: 'comic' },
      { chatWidth: 'full' },
      { favourites: ['not-an-id'] },
      { voices: { 'not-an-id': 'Alice' } },
      { voices: { ['a'.repeat(32)]: 'x'.repeat(201) } },
      { somethingElse: true },
    ]) {
      const r = await refusal(call('settings.update', bad as never));
      expect(r?.code, JSON.stringify(bad)).toBe('usage');
    }
    expect((await refusal(call('settings.update', { accent: 'red' })))?.message).toMatch(/accent.*colour like #3b6fd8/);
    expect(await call('settings.get', {})).toEqual(before);
  });
});
