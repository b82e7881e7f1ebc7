/**
 * Expected failures travel as one shape across the whole API (core, IPC, WebSocket, CLI):
 * `{ code, message }`. Unexpected failures are bugs and throw as ordinary errors; at a transport boundary
 * they become code "internal" with a generic message, so no internals (or content) leak.
 */

export const errorCodes = [
  'usage', // malformed input: bad arguments, schema violations, oversized fields
  'wrong_secret', // wrong passphrase or recovery key
  'integrity', // authenticated data failed to verify: tampering or corruption
  'network', // the relay or a provider could not be reached or refused us
  'device_removed', // this device was removed from its sync account: the relay refuses it for good
  'provider', // the AI provider answered with an error
  'not_found', // no such record, vault, provider…
  'locked', // the vault must be unlocked first
  'exists', // something is already there (e.g. init over an existing vault)
  'busy', // the data folder is open in another Mindstage process
  'unsupported', // a newer schema or format than this build understands
  'aborted', // the user stopped it
  'internal', // anything else
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  /** Which record an integrity error is about, when known. */
  recordId?: string;
}

export class MindstageError extends Error {
  readonly code: ErrorCode;
  readonly recordId: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { recordId?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MindstageError';
    this.code = code;
    this.recordId = options?.recordId;
  }

  toShape(): ApiErrorShape {
    return this.recordId === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, recordId: this.recordId };
  }

  static fromShape(shape: ApiErrorShape): MindstageError {
    return new MindstageError(shape.code, shape.message, shape.recordId === undefined ? undefined : { recordId: shape.recordId });
  }
}

export type Result<T, E = ApiErrorShape> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** Converts anything thrown into the API's error shape; unknown errors never leak their message. */
export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof MindstageError) return e.toShape();
  return { code: 'internal', message: 'Something went wrong inside Mindstage. Nothing was lost; please try again.' };
}

export const fail = (code: ErrorCode, message: string, options?: { recordId?: string; cause?: unknown }): never => {
  throw new MindstageError(code, message, options);
};
