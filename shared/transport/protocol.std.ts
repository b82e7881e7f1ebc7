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
import { commands, type CommandName } from '../api/index.std.ts';
import type { ApiErrorShape, MindstageError } from '../result.std.ts';
import { MAX_FRAME_BYTES, parseFrame, type WireRequest } from './wire.std.ts';

export * from './wire.std.ts';

const requestShape = z.strictObject({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  command: z.string().min(1).max(200),
  input: z.unknown(),
});

/** Whether `name` is a command of the API (own property only: "toString" or "__proto__" are not commands). */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
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
