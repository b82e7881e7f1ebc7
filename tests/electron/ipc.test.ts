/**
 * The main process's IPC handler in front of the real core: bad senders and bad arguments are refused before the
 * core is reached; good calls and events pass through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { createInvokeHandler, EVENT_CHANNEL, forwardEvents, refusedSender, validateSender, type InvokeHandler } from '../../electron/main/ipc.main.ts';
import { apiEventNames } from '../../shared/transport/protocol.std.ts';
import type { MindstageInvoke } from '../../shared/api/index.std.ts';
import { tempDir } from '../support/files.node.ts';

let core: Core;
let handler: InvokeHandler;
const reached: string[] = [];
const logged: string[] = [];
const app = { url: 'app://mindstage/index.html', parent: null };

beforeAll(async () => {
  core = await openCore({ dataDir: tempDir('ipc') });
  // The real core, with a note of which commands got through to it.
  const invoke = ((command, input) => {
    reached.push(command);
    return core.invoke(command, input);
  }) as MindstageInvoke;
  handler = createInvokeHandler({ invoke }, (line) => logged.push(line));
});
afterAll(() => core.close());

describe('validateSender', () => {
  it('accepts only the top frame of our app:// page', () => {
    expect(validateSender(app)).toBe(true);
    expect(validateSender({ url: 'app://mindstage/', parent: null })).toBe(true);
    expect(validateSender(null)).toBe(false);
    expect(validateSender(undefined)).toBe(false);
    expect(validateSender({ url: 'app://mindstage/index.html', parent: app })).toBe(false);
    for (const url of ['https://evil.example/', 'file:///index.html', 'app://evil/index.html', 'app://mindstage.evil/', 'app://x@mindstage/', 'about:blank', 'devtools://devtools/', ''])
      expect(validateSender({ url, parent: null }), url).toBe(false);
  });
});

describe('the invoke handler', () => {
  it('forwards a valid call from our page to the core', async () => {
    expect(await handler({ senderFrame: app }, 'vault.status', {})).toEqual({ ok: true, value: { exists: false, unlocked: false } });
    expect(reached).toEqual(['vault.status']);
  });

  it.each([
    ['no frame', null],
    ['a remote page', { url: 'https://evil.example/', parent: null }],
    ['a sub-frame of our page', { url: 'app://mindstage/index.html', parent: app }],
    ['a file:// page', { url: 'file:///tmp/index.html', parent: null }],
  ])('refuses a call from %s without reaching the core', async (_name, frame) => {
    reached.length = 0;
    expect(await handler({ senderFrame: frame }, 'vault.status', {})).toEqual({ ok: false, error: refusedSender });
    expect(reached).toEqual([]);
    expect(logged.at(-1)).toMatch(/refused/);
  });

  it.each([
    ['a non-string command', 42, {}],
    ['an unknown command', 'vault.explode', {}],
    ['a prototype key', '__proto__', {}],
    ['input of the wrong type', 'vault.unlock', 'hunter2'],
    ['input failing the schema', 'vault.unlock', { passphrase: '' }],
    ['an unknown key in a strict schema', 'settings.update', { theme: 'dark', evil: true }],
    ['an oversized field', 'vault.unlock', { passphrase: 'x'.repeat(5000) }],
  ])('refuses %s with a usage error before the core', async (_name, command, input) => {
    reached.length = 0;
    const result = await handler({ senderFrame: app }, command, input);
    expect(result).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(reached).toEqual([]);
  });

  it('never echoes a bad argument back in the error', async () => {
    const result = await handler({ senderFrame: app }, 'vault.unlock', { passphrase: 'x'.repeat(5000) });
    expect(JSON.stringify(result)).not.toContain('xxxxxxxx');
  });
});

describe('forwardEvents', () => {
  it('sends core events to our page only, on the event channel', async () => {
    const sent: unknown[][] = [];
    let url = 'app://mindstage/index.html';
    let destroyed = false;
    const target = { isDestroyed: () => destroyed, getURL: () => url, send: (...args: unknown[]) => void sent.push(args) };
    const stop = forwardEvents(core, target, apiEventNames);
    await core.invoke('vault.create', { passphrase: 'a passphrase long enough' });
    await core.invoke('vault.lock', {});
    expect(sent).toEqual([[EVENT_CHANNEL, 'vault.locked', { reason: 'manual' }]]);
    url = 'https://evil.example/';
    await core.invoke('vault.unlock', { passphrase: 'a passphrase long enough' });
    await core.invoke('vault.lock', {});
    url = 'app://mindstage/index.html';
    destroyed = true;
    await core.invoke('vault.unlock', { passphrase: 'a passphrase long enough' });
    await core.invoke('vault.lock', {});
    expect(sent).toHaveLength(1);
    destroyed = false;
    stop();
    await core.invoke('vault.unlock', { passphrase: 'a passphrase long enough' });
    await core.invoke('vault.lock', {});
    expect(sent).toHaveLength(1);
  });
});
