/**
 * The preload: exposes exactly `window.mindstage = { invoke, on }` and nothing else — no ipcRenderer, no IPC
 * event objects, no Node. The main process re-checks the sender and every argument (ipc.main.ts).
 *
 * A sandboxed preload is run by Electron as a plain script with a restricted `require` (ES modules are not
 * supported there), so this file has no import statements and needs no bundler; it is a .cts file so tsc emits
 * CommonJS (preload.preload.cjs) rather than an ES module. The channel names repeat ipc.main.ts's constants;
 * tests/electron/preload.test.ts checks they agree.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports -- sandboxed preloads can only `require`
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

const INVOKE_CHANNEL = 'mindstage:invoke';
const EVENT_CHANNEL = 'mindstage:event';

const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const fn of listeners.get(name) ?? []) {
    try {
      fn(payload);
    } catch {
      // A failing listener in the page must not stop the others.
    }
  }
});

contextBridge.exposeInMainWorld('mindstage', {
  invoke(command: unknown, input: unknown): Promise<unknown> {
    return ipcRenderer.invoke(INVOKE_CHANNEL, command, input);
  },
  on(event: unknown, listener: unknown): () => void {
    if (typeof event !== 'string' || typeof listener !== 'function') throw new TypeError('mindstage.on(event, listener)');
    const fn = listener as (payload: unknown) => void;
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(fn);
    return () => void set.delete(fn);
  },
});
