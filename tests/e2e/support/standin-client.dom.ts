/**
 * Test stand-in for the browser-mode transport, used only until electron/core/web (the real browser-mode
 * server) is in the tree: the typed API over a loopback WebSocket, put on `window.mindstage` as the preload does.
 * Served to the page as plain JS after Node strips the types.
 */
type Reply = { ok: boolean; value?: unknown; error?: unknown };

const socket = new WebSocket(`ws://${location.host}/standin-ws`);
const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve()));
const waiting = new Map<number, (reply: Reply) => void>();
const listeners = new Map<string, Set<(payload: unknown) => void>>();
let seq = 0;

socket.addEventListener('message', (m) => {
  const msg = JSON.parse(String(m.data)) as { id?: number; result?: Reply; event?: string; payload?: unknown };
  if (msg.id !== undefined) {
    waiting.get(msg.id)?.(msg.result!);
    waiting.delete(msg.id);
  } else if (msg.event) for (const fn of listeners.get(msg.event) ?? []) fn(msg.payload);
});

(window as unknown as { mindstage: unknown }).mindstage = {
  async invoke(command: string, input: unknown): Promise<Reply> {
    await opened;
    const id = ++seq;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, command, input }));
    });
  },
  on(event: string, fn: (payload: unknown) => void) {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(fn);
    return () => set.delete(fn);
  },
};
