/**
 * The wire protocol on its own (strict decoding) and end to end through serveCore + createChannelClient over an
 * in-memory channel, with the real core on a temporary data folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { tempDir } from '../../tests/support/files.node.ts';
import { createChannelClient, type ChannelClient } from './client.std.ts';
import { apiEventNames, decodeRequest, decodeServerMessage, encodeEvent, encodeRequest, encodeResponse } from './protocol.std.ts';
import { serveCore, type Served } from './serve.std.ts';
import { validateCommand } from './validate.std.ts';

describe('decodeRequest', () => {
  it('reads a well-formed request', () => {
    const r = decodeRequest(encodeRequest({ id: 3, command: 'vault.status', input: {} }));
    expect(r).toEqual({ ok: true, value: { id: 3, command: 'vault.status', input: {} } });
  });

  it('reads bytes as UTF-8 and refuses invalid UTF-8', () => {
    expect(decodeRequest(new TextEncoder().encode('{"id":1,"command":"vault.lock","input":{}}')).ok).toBe(true);
    const bad = decodeRequest(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(bad).toMatchObject({ ok: false, id: null, error: { code: 'usage', message: expect.stringContaining('UTF-8') } });
  });

  it.each([
    ['not JSON', '{id: 1', null, 'not valid JSON'],
    ['an array', '[1,2]', null, 'Malformed'],
    ['a negative id', '{"id":-1,"command":"vault.status","input":{}}', null, 'id'],
    ['a fractional id', '{"id":1.5,"command":"vault.status","input":{}}', null, 'id'],
    ['an unknown key', '{"id":4,"command":"vault.status","input":{},"extra":1}', 4, 'Malformed'],
    ['a missing command', '{"id":5,"input":{}}', 5, 'command'],
    ['an unknown command', '{"id":6,"command":"vault.explode","input":{}}', 6, 'Unknown command "vault.explode"'],
    ['a prototype key as command', '{"id":7,"command":"__proto__","input":{}}', 7, 'Unknown command'],
    ['toString as command', '{"id":8,"command":"toString","input":{}}', 8, 'Unknown command'],
  ])('refuses %s with a usage error', (_name, frame, id, message) => {
    const r = decodeRequest(frame);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.id).toBe(id);
    expect(r.error.code).toBe('usage');
    expect(r.error.message).toContain(message);
  });

  it('refuses a frame over the size limit before parsing it', () => {
    const frame = encodeRequest({ id: 1, command: 'vault.unlock', input: { passphrase: 'x'.repeat(2000) } });
    expect(decodeRequest(frame, 1000)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('limit') } });
    expect(decodeRequest(new TextEncoder().encode(frame), 1000)).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(decodeRequest(frame, 10_000).ok).toBe(true);
  });
});

describe('decodeServerMessage', () => {
  it('tells responses from events and refuses anything else', () => {
    expect(decodeServerMessage(encodeResponse({ id: 2, result: { ok: true, value: 1 } }))).toEqual({ kind: 'response', id: 2, result: { ok: true, value: 1 } });
    expect(decodeServerMessage(encodeEvent({ event: 'vault.locked', payload: { reason: 'idle' } }))).toEqual({
      kind: 'event',
      event: 'vault.locked',
      payload: { reason: 'idle' },
    });
    expect(() => decodeServerMessage('{"event":"not.an.event","payload":1}')).toThrow(/neither/);
    expect(() => decodeServerMessage('{"id":1,"result":{"ok":"yes"}}')).toThrow(/neither/);
    expect(() => decodeServerMessage('{"id":1,"result":{"ok":true,"value":1},"x":1}')).toThrow(/neither/);
    expect(() => decodeServerMessage('{"id":-1,"result":{"ok":true,"value":1}}')).toThrow(/neither/);
    expect(() => decodeServerMessage('{"id":1,"result":{"ok":false,"error":{"code":"usage"}}}')).toThrow(/neither/);
    expect(() => decodeServerMessage('{"event":"vault.locked","payload":{},"id":1}')).toThrow(/neither/);
    expect(() => decodeServerMessage('[]')).toThrow(/neither/);
    expect(() => decodeServerMessage('x'.repeat(50), 10)).toThrow(/limit/);
    expect(decodeServerMessage('{"id":null,"result":{"ok":false,"error":{"code":"usage","message":"m"}}}')).toMatchObject({ kind: 'response', id: null });
  });
});

describe('validateCommand', () => {
  it('checks the name and the input against the command schema', () => {
    expect(validateCommand('vault.unlock', { passphrase: 'pw' })).toEqual({ ok: true, command: 'vault.unlock' });
    expect(validateCommand('vault.unlock', { passphrase: '' })).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('passphrase') } });
    expect(validateCommand('vault.unlock', 'pw')).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(validateCommand(42, {})).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(validateCommand('hasOwnProperty', {})).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});

describe('serveCore + createChannelClient, real core', () => {
  let core: Core;
  let served: Served;
  let channel: ChannelClient;
  const sentToClient: string[] = [];

  beforeAll(async () => {
    core = await openCore({ dataDir: tempDir('transport') });
    // The two halves joined by an in-memory channel; frames are strings, as on the WebSocket and the port.
    served = serveCore(core, (text) => {
      sentToClient.push(text);
      queueMicrotask(() => channel.receive(text));
    });
    channel = createChannelClient((text) => void served.receive(text));
  });
  afterAll(async () => {
    served.close();
    await core.close();
  });

  it('round-trips commands, errors and events', async () => {
    const { client } = channel;
    expect(await client.invoke('vault.status', {})).toEqual({ ok: true, value: { exists: false, unlocked: false } });
    const locked = await client.invoke('vault.unlock', { passphrase: 'nope' });
    expect(locked.ok).toBe(false);
    expect(await client.invoke('vault.unlock', { passphrase: '' })).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(await client.invoke('no.such' as never, {} as never)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('Unknown command') } });

    const events: unknown[] = [];
    const off = client.on('vault.locked', (p) => events.push(p));
    const created = await client.invoke('vault.create', { passphrase: 'correct horse battery staple' });
    expect(created.ok).toBe(true);
    expect(await client.invoke('vault.lock', {})).toEqual({ ok: true, value: null });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([{ reason: 'manual' }]);
    off();
    await client.invoke('vault.unlock', { passphrase: 'correct horse battery staple' });
    await client.invoke('vault.lock', {});
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toHaveLength(1);
  });

  it('forwards every event name the protocol lists', () => {
    expect([...apiEventNames].sort()).toEqual(['chat.delta', 'chat.done', 'conversation.changed', 'import.progress', 'records.changed', 'sync.status', 'vault.locked']);
  });

  it('answers a malformed frame with id null and keeps serving', async () => {
    const before = sentToClient.length;
    await served.receive('{"id": "x"');
    expect(JSON.parse(sentToClient[before]!)).toMatchObject({ id: null, result: { ok: false, error: { code: 'usage' } } });
    expect((await channel.client.invoke('vault.status', {})).ok).toBe(true);
  });

  it('answers pending and later calls with a network error once the channel is gone', async () => {
    let sent = 0;
    const lone = createChannelClient(() => void sent++);
    const pending = lone.client.invoke('vault.status', {});
    lone.disconnected();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'network' } });
    expect(await lone.client.invoke('vault.status', {})).toMatchObject({ ok: false, error: { code: 'network' } });
    expect(sent).toBe(1);
  });
});
