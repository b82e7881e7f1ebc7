/**
 * The parts of the wire protocol a client needs, without zod or the command schemas, so the renderer's bundle
 * stays small: frame parsing with its size limit, the message types, and hand-checked decoding of what the core
 * sends. The core's side (strict request decoding against the command map) is protocol.std.ts.
 */
import type { ApiEventName, CommandName } from '../api/index.std.ts';
import { MindstageError, type ApiErrorShape, type Result } from '../result.std.ts';

/**
 * The largest frame either side accepts. The biggest legitimate request is a data import (a JSON text) or a card
 * file as base64 (≤ 70 MB); V8 cannot hold a string much over 512 MiB anyway, so 256 MiB leaves room for a large
 * export while keeping one hostile frame from exhausting memory.
 */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Every event the core emits, as a runtime list (transports subscribe to each). */
export const apiEventNames = ['vault.locked', 'records.changed', 'conversation.changed', 'chat.delta', 'chat.done', 'sync.status', 'import.progress'] as const satisfies readonly ApiEventName[];
// Fails to type-check when events.std.ts gains an event that is not listed above, so no event is silently dropped.
type Unlisted = Exclude<ApiEventName, (typeof apiEventNames)[number]>;
const _everyEventListed: [Unlisted] extends [never] ? true : Unlisted = true;
void _everyEventListed;

/** Subprotocols a WebSocket client offers: the protocol version, and the launch token (browsers cannot set headers). */
export const WS_PROTOCOL = 'mindstage.v1';
export const tokenProtocol = (token: string) => `mindstage.token.${token}`;

export interface WireRequest {
  id: number;
  command: CommandName;
  input: unknown;
}
export interface WireResponse {
  /** null when the request was too broken to read its id. */
  id: number | null;
  result: Result<unknown, ApiErrorShape>;
}
export interface WireEvent {
  event: ApiEventName;
  payload: unknown;
}
export type ServerMessage = ({ kind: 'response' } & WireResponse) | ({ kind: 'event' } & WireEvent);

export const usage = (message: string) => new MindstageError('usage', message);

export function parseFrame(frame: string | Uint8Array, maxBytes: number): unknown {
  let text: string;
  if (typeof frame === 'string') {
    // A UTF-16 code unit is at most 3 UTF-8 bytes; counting code units is exact for ASCII and never too lenient
    // by more than that factor, without re-encoding a large frame just to measure it.
    if (frame.length > maxBytes) throw usage(`The message is larger than the limit of ${maxBytes} bytes.`);
    text = frame;
  } else {
    if (frame.byteLength > maxBytes) throw usage(`The message is larger than the limit of ${maxBytes} bytes.`);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(frame);
    } catch {
      throw usage('The message is not valid UTF-8 text.');
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usage('The message is not valid JSON.');
  }
}

export function encodeRequest(request: WireRequest): string {
  // `input: undefined` would vanish from the JSON; null keeps the key, and the core treats a missing input as {}.
  return JSON.stringify({ id: request.id, command: request.command, input: request.input ?? null });
}

export function encodeResponse(response: WireResponse): string {
  return JSON.stringify({ id: response.id, result: response.result });
}

export function encodeEvent(event: WireEvent): string {
  return JSON.stringify({ event: event.event, payload: event.payload });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnly = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const isId = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);

function isResult(v: unknown): v is Result<unknown, ApiErrorShape> {
  if (!isObject(v)) return false;
  if (v['ok'] === true) return hasOnly(v, ['ok', 'value']);
  if (v['ok'] !== false || !hasOnly(v, ['ok', 'error']) || !isObject(v['error'])) return false;
  const e = v['error'];
  return typeof e['code'] === 'string' && typeof e['message'] === 'string' && (e['recordId'] === undefined || typeof e['recordId'] === 'string');
}

/** Reads what the core sent: a response or an event. Throws a usage MindstageError for anything else. */
export function decodeServerMessage(frame: string | Uint8Array, maxBytes = MAX_FRAME_BYTES): ServerMessage {
  const raw = parseFrame(frame, maxBytes);
  if (isObject(raw) && 'result' in raw && hasOnly(raw, ['id', 'result']) && isId(raw['id']) && isResult(raw['result'])) {
    return { kind: 'response', id: raw['id'] as number | null, result: raw['result'] };
  }
  if (isObject(raw) && hasOnly(raw, ['event', 'payload']) && (apiEventNames as readonly unknown[]).includes(raw['event'])) {
    return { kind: 'event', event: raw['event'] as ApiEventName, payload: raw['payload'] };
  }
  throw usage('The message from the core is neither a response nor an event.');
}
