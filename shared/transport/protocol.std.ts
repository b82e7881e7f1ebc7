/**
 * The wire protocol every non-direct transport speaks: the browser-mode WebSocket and the Electron main process
 * talking to the core in its utility process. Pure functions over text (or bytes): the socket or port is the
 * caller's business.
 *
 *   client → core   {"id": 7, "command": "vault.status", "input": {}}
 *   core → client   {"id": 7, "result": {"ok": true, "value": …}}        (Result, never a thrown error)
 *   core → client   {"event": "records.changed", "payload": {…}}
 *
 * Decoding is strict: a frame over the size limit, malformed JSON, unknown keys, a bad id or an unknown command is
 * refused with a `usage` error instead of reaching the core.
 */
import { z } from 'zod';
import { commands, type ApiEventName, type CommandName } from '../api/index.std.ts';
import { MindstageError, type ApiErrorShape, type Result } from '../result.std.ts';

/**
 * The largest frame either side accepts. The biggest legitimate request is a data import (a JSON text) or a card
 * file as base64 (≤ 70 MB); V8 cannot hold a string much over 512 MiB anyway, so 256 MiB leaves room for a large
 * export while keeping one hostile frame from exhausting memory.
 */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Every event the core emits, as a runtime list (transports subscribe to each). */
export const apiEventNames = ['vault.locked', 'records.changed', 'chat.delta', 'chat.done'] as const satisfies readonly ApiEventName[];
// Fails to type-check when events.std.ts gains an event that is not listed above, so no event is silently dropped.
type Unlisted = Exclude<ApiEventName, (typeof apiEventNames)[number]>;
const _everyEventListed: [Unlisted] extends [never] ? true : Unlisted = true;
void _everyEventListed;

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

const requestShape = z.strictObject({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  command: z.string().min(1).max(200),
  input: z.unknown(),
});
const errorShape = z.object({ code: z.string(), message: z.string(), recordId: z.string().optional() });
const responseShape = z.strictObject({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  result: z.union([z.strictObject({ ok: z.literal(true), value: z.unknown() }), z.strictObject({ ok: z.literal(false), error: errorShape })]),
});
const eventShape = z.strictObject({ event: z.enum(apiEventNames), payload: z.unknown() });

const usage = (message: string) => new MindstageError('usage', message);

/** Whether `name` is a command of the API (own property only: "toString" or "__proto__" are not commands). */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

function parseFrame(frame: string | Uint8Array, maxBytes: number): unknown {
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

/**
 * Reads a request. On failure the error says what was wrong and `id` carries the request's id when it could be
 * read, so the sender's pending call still gets its answer.
 */
export function decodeRequest(
  frame: string | Uint8Array,
  maxBytes = MAX_FRAME_BYTES,
): { ok: true; value: WireRequest } | { ok: false; id: number | null; error: ApiErrorShape } {
  let raw: unknown;
  try {
    raw = parseFrame(frame, maxBytes);
  } catch (e) {
    return { ok: false, id: null, error: (e as MindstageError).toShape() };
  }
  const parsed = requestShape.safeParse(raw);
  if (!parsed.success) {
    const id = requestShape.shape.id.safeParse((raw as { id?: unknown } | null)?.id);
    const where = parsed.error.issues[0];
    const detail = where ? `${where.path.map(String).join('.') || 'message'}: ${where.message}` : 'bad shape';
    return { ok: false, id: id.success ? id.data : null, error: { code: 'usage', message: `Malformed request (${detail}).` } };
  }
  const { id, command, input } = parsed.data;
  if (!isCommandName(command)) return { ok: false, id, error: { code: 'usage', message: `Unknown command "${command.slice(0, 80)}".` } };
  return { ok: true, value: { id, command, input } };
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

/** Reads what the core sent: a response or an event. Throws a usage MindstageError for anything else. */
export function decodeServerMessage(frame: string | Uint8Array, maxBytes = MAX_FRAME_BYTES): ServerMessage {
  const raw = parseFrame(frame, maxBytes);
  const response = responseShape.safeParse(raw);
  if (response.success) return { kind: 'response', id: response.data.id, result: response.data.result as Result<unknown, ApiErrorShape> };
  const event = eventShape.safeParse(raw);
  if (event.success) return { kind: 'event', event: event.data.event, payload: event.data.payload };
  throw usage('The message from the core is neither a response nor an event.');
}
