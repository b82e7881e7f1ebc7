/**
 * The renderer's one door to the core. The transport (Electron preload, or the browser-mode WebSocket) lives in
 * renderer/api/; this file adds the typing the screens want: `call` resolves with the output or throws an
 * ApiError carrying the core's { code, message }, so screens can show the message as is.
 */
import type { Commands } from '../../shared/api/index.std.ts';
import type { chatCommands } from '../../shared/api/chat.std.ts';
import type { InputOf, OutputOf } from '../../shared/api/contract.std.ts';
import type { ApiEvents } from '../../shared/api/events.std.ts';
import type { ApiErrorShape, ErrorCode, Result } from '../../shared/result.std.ts';

// Chat commands are declared beside the provider commands; naming both keeps the screens typed whether or not
// the index has merged them yet.
export type AllCommands = Commands & typeof chatCommands;
export type Cmd = keyof AllCommands & string;

export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.name = 'ApiError';
    this.code = shape.code;
  }
}

/** What a transport must offer: the transports themselves live in renderer/api/ and are chosen in main.dom.tsx. */
export interface RawTransport {
  invoke(command: string, input: unknown): Promise<Result<unknown, ApiErrorShape>>;
  on(event: string, fn: (payload: never) => void): unknown;
}

const notConnected: RawTransport = {
  invoke: () => Promise.reject(new Error('no transport')),
  on: () => undefined,
};
let raw: RawTransport = notConnected;

/** Called once at start-up with the transport for this window (Electron preload or browser-mode WebSocket). */
export function connect(transport: RawTransport): void {
  raw = transport;
}

export async function call<K extends Cmd>(command: K, input: InputOf<AllCommands[K]>): Promise<OutputOf<AllCommands[K]>> {
  let result: Result<unknown, ApiErrorShape>;
  try {
    result = await raw.invoke(command, input);
  } catch {
    throw new ApiError({ code: 'network', message: 'Mindstage lost contact with its core. Reload the window to reconnect.' });
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value as OutputOf<AllCommands[K]>;
}

/** Subscribes to a core event; returns the unsubscribe function. */
export function on<E extends keyof ApiEvents>(event: E, fn: (payload: ApiEvents[E]) => void): () => void {
  const off = raw.on(event, fn as (payload: never) => void);
  return typeof off === 'function' ? (off as () => void) : () => {};
}

/** A message fit for the screen from anything a call may throw. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return 'Something went wrong. Nothing was lost; please try again.';
}

export function codeOf(e: unknown): ErrorCode | undefined {
  return e instanceof ApiError ? e.code : undefined;
}
