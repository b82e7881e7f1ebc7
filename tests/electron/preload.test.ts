/**
 * The preload, run the way Electron runs a sandboxed preload: its source (types stripped) evaluated as a plain
 * script with only `require`, `exports` and `module` in scope, and stand-ins for contextBridge and ipcRenderer
 * that record what the script does with them.
 */
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../electron/main/ipc.main.ts';

const source = readFileSync(join(import.meta.dirname, '../../electron/preload/preload.preload.cts'), 'utf8');

function runPreload() {
  const exposed: [string, unknown][] = [];
  const invoked: unknown[][] = [];
  const ipcListeners = new Map<string, (...args: unknown[]) => void>();
  const required: string[] = [];
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void exposed.push([key, api]) };
  const ipcRenderer = {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true, value: 'answer' });
    },
    on: (channel: string, fn: (...args: unknown[]) => void) => void ipcListeners.set(channel, fn),
  };
  const require = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return { contextBridge, ipcRenderer };
  };
  const exports = {};
  runInNewContext(stripTypeScriptTypes(source), { require, exports, module: { exports } }, { filename: 'preload.js' });
  return { exposed, invoked, ipcListeners, required };
}

describe('the preload', () => {
  it('is a plain script: no import/export statements (a sandboxed preload cannot be an ES module)', () => {
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('requires only electron and exposes exactly window.mindstage = { invoke, on }', () => {
    const { exposed, required } = runPreload();
    expect(required).toEqual(['electron']);
    expect(exposed).toHaveLength(1);
    expect(exposed[0]![0]).toBe('mindstage');
    expect(Object.keys(exposed[0]![1] as object).sort()).toEqual(['invoke', 'on']);
  });

  it('invoke forwards command and input on the main process channel, and nothing else', async () => {
    const { exposed, invoked } = runPreload();
    const api = exposed[0]![1] as { invoke(c: unknown, i: unknown): Promise<unknown> };
    expect(await api.invoke('vault.status', {})).toEqual({ ok: true, value: 'answer' });
    expect(invoked).toEqual([[INVOKE_CHANNEL, 'vault.status', {}]]);
  });

  it('on delivers payloads only (never the IPC event object) and unsubscribes', () => {
    const { exposed, ipcListeners } = runPreload();
    const api = exposed[0]![1] as { on(e: string, fn: (...a: unknown[]) => void): () => void };
    const relay = ipcListeners.get(EVENT_CHANNEL)!;
    expect([...ipcListeners.keys()]).toEqual([EVENT_CHANNEL]);
    const got: unknown[][] = [];
    const off = api.on('vault.locked', (...args) => got.push(args));
    const ipcEvent = { sender: { send() {} }, ports: [] };
    relay(ipcEvent, 'vault.locked', { reason: 'idle' });
    relay(ipcEvent, 'records.changed', { ids: [] });
    relay(ipcEvent, 42, {});
    expect(got).toEqual([[{ reason: 'idle' }]]);
    off();
    relay(ipcEvent, 'vault.locked', { reason: 'manual' });
    expect(got).toHaveLength(1);
  });

  it('on refuses non-function listeners', () => {
    const { exposed } = runPreload();
    const api = exposed[0]![1] as { on(e: unknown, fn: unknown): unknown };
    expect(() => api.on('vault.locked', 'alert(1)')).toThrow(/mindstage.on\(event, listener\)/);
    expect(() => api.on({}, () => {})).toThrow(/mindstage.on\(event, listener\)/);
  });

  it('uses the same channel names as the main process', () => {
    expect(source).toContain(`'${INVOKE_CHANNEL}'`);
    expect(source).toContain(`'${EVENT_CHANNEL}'`);
  });
});
