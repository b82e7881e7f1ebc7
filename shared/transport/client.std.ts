/**
 * The caller's side of the wire protocol: `invoke` + `on`, the same shape as the Electron preload's
 * `window.mindstage`, so the renderer cannot tell the transports apart. Calls never reject: a lost connection
 * answers every pending and later call with a `network` Result.
 */
import type { ApiEventName, ApiEvents, MindstageInvoke } from '../api/index.std.ts';
import type { ApiErrorShape, Result } from '../result.std.ts';
import { decodeServerMessage, encodeRequest, MAX_FRAME_BYTES, tokenProtocol, WS_PROTOCOL } from './wire.std.ts';

export { tokenProtocol, WS_PROTOCOL };

export interface TransportClient {
  invoke: MindstageInvoke;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  close(): void;
}

export interface ChannelClient {
  client: TransportClient;
  /** Feed one frame the core sent. */
  receive(frame: string | Uint8Array): void;
  /** The channel is gone: pending and future calls answer with a `network` error. */
  disconnected(message?: string): void;
}

export const lostContact = 'Mindstage lost contact with its core. Reload the window to reconnect.';

export function createChannelClient(send: (text: string) => void, options: { maxBytes?: number; onClose?: () => void } = {}): ChannelClient {
  const pending = new Map<number, (result: Result<unknown, ApiErrorShape>) => void>();
  const listeners = new Map<string, Set<(payload: never) => void>>();
  let nextId = 1;
  let gone: string | null = null;

  const disconnected = (message = lostContact) => {
    if (gone !== null) return;
    gone = message;
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'network', message } });
    pending.clear();
  };

  const invoke = ((command: string, input: unknown) => {
    if (gone !== null) return Promise.resolve({ ok: false, error: { code: 'network', message: gone } });
    const id = nextId++;
    return new Promise<Result<unknown, ApiErrorShape>>((resolve) => {
      pending.set(id, resolve);
      try {
        send(encodeRequest({ id, command: command as never, input }));
      } catch {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'network', message: lostContact } });
      }
    });
  }) as MindstageInvoke;

  return {
    client: {
      invoke,
      on(event, listener) {
        const set = listeners.get(event) ?? new Set();
        listeners.set(event, set);
        set.add(listener as (payload: never) => void);
        return () => void set.delete(listener as (payload: never) => void);
      },
      close() {
        disconnected('The connection to the core was closed.');
        options.onClose?.();
      },
    },
    receive(frame) {
      let message;
      try {
        message = decodeServerMessage(frame, options.maxBytes ?? MAX_FRAME_BYTES);
      } catch {
        return; // Not ours to act on; the core only sends well-formed frames.
      }
      if (message.kind === 'event') {
        for (const fn of listeners.get(message.event) ?? []) {
          try {
            (fn as (payload: unknown) => void)(message.payload);
          } catch {
            // One failing listener must not starve the others.
          }
        }
        return;
      }
      if (message.id === null) return;
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.result);
    },
    disconnected,
  };
}

/** The subset of the WebSocket API the client uses (browsers and Node ≥ 22 both provide it globally). */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', fn: () => void): void;
  addEventListener(type: 'message', fn: (event: { data: unknown }) => void): void;
}
type SocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

/**
 * Connects to browser mode's WebSocket. Calls made before the socket opens wait for it; if it never opens (wrong
 * token, server gone) they answer with a `network` error.
 */
export function createWsClient(url: string, options: { token: string; WebSocket?: SocketConstructor; maxBytes?: number }): TransportClient {
  const Socket = options.WebSocket ?? (globalThis as unknown as { WebSocket: SocketConstructor }).WebSocket;
  const socket = new Socket(url, [WS_PROTOCOL, tokenProtocol(options.token)]);
  const queue: string[] = [];
  const channel = createChannelClient(
    (text) => {
      if (socket.readyState === 1) socket.send(text);
      else if (socket.readyState === 0) queue.push(text);
      else throw new Error('closed');
    },
    { maxBytes: options.maxBytes, onClose: () => socket.close(1000) },
  );
  socket.addEventListener('open', () => {
    for (const text of queue.splice(0)) socket.send(text);
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string') channel.receive(event.data);
  });
  const lost = () => {
    queue.length = 0;
    channel.disconnected();
  };
  socket.addEventListener('close', lost);
  socket.addEventListener('error', lost);
  return channel.client;
}
