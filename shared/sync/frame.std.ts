/**
 * The relay's wire frame: one binary WebSocket message =
 *
 *   version (1 byte) ‖ header length (u32 big-endian) ‖ header (UTF-8 JSON object) ‖ blobs (raw bytes, back to back)
 *
 * The header is ordinary JSON in which every byte string is replaced by a reference `{"$b": i}` to the i-th blob;
 * the header's `$blobs` array lists the blob lengths. Envelopes, signatures and ids therefore travel as raw bytes
 * (no base64 inflation of multi-megabyte snapshots) while the structure stays readable JSON that zod can validate.
 *
 * Decoding is strict: wrong version, truncated or trailing bytes, a header that is not a JSON object, blob lengths
 * that do not add up, and references that are out of range, reused or left unused are all refused. Nothing here
 * knows what the bytes mean.
 */

export const FRAME_VERSION = 1;
const PREFIX_BYTES = 5;

export interface FrameLimits {
  /** Largest whole frame accepted, in bytes. */
  maxFrameBytes: number;
  /** Largest JSON header accepted, in bytes. */
  maxHeaderBytes: number;
  /** Most blobs one frame may carry. */
  maxBlobs: number;
}

export const defaultFrameLimits: FrameLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxHeaderBytes: 2 * 1024 * 1024,
  maxBlobs: 20_000,
};

/** Why a frame was refused; `too_large` is kept apart so a relay can answer it with its own code. */
export class FrameError extends Error {
  readonly reason: 'malformed' | 'too_large';
  constructor(reason: 'malformed' | 'too_large', message: string) {
    super(message);
    this.name = 'FrameError';
    this.reason = reason;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes any JSON-able value whose byte strings are Uint8Arrays. */
export function encodeFrame(message: object): Uint8Array {
  const blobs: Uint8Array[] = [];
  // `this[key]` is the value before any toJSON (Node's Buffer has one), so Buffers travel as bytes too.
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      blobs.push(raw);
      return { $b: blobs.length - 1 };
    }
    // Keep the reserved shapes unambiguous: they could only come from a caller bug, never from the protocol.
    if (isBlobRef(value) || (key === '' && typeof value === 'object' && value !== null && '$blobs' in value)) {
      throw new FrameError('malformed', 'a message may not use the reserved keys $b and $blobs');
    }
    return value;
  });
  // `$blobs` goes last so that it can be appended without re-serialising; `json` is always an object here.
  const lengths = JSON.stringify(blobs.map((b) => b.length));
  const header = encoder.encode(json === '{}' ? `{"$blobs":${lengths}}` : `${json.slice(0, -1)},"$blobs":${lengths}}`);
  let total = PREFIX_BYTES + header.length;
  for (const b of blobs) total += b.length;
  const out = new Uint8Array(total);
  out[0] = FRAME_VERSION;
  new DataView(out.buffer).setUint32(1, header.length);
  out.set(header, PREFIX_BYTES);
  let offset = PREFIX_BYTES + header.length;
  for (const b of blobs) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}

const isBlobRef = (v: unknown): v is { $b: number } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && '$b' in v;

/**
 * Decodes a frame into a plain object whose blob references are Uint8Array views into `frame` (no copies).
 * The result is still untrusted: validate it with the message schemas.
 */
export function decodeFrame(frame: Uint8Array, limits: FrameLimits = defaultFrameLimits): Record<string, unknown> {
  if (frame.length > limits.maxFrameBytes) throw new FrameError('too_large', `frame of ${frame.length} bytes exceeds the limit of ${limits.maxFrameBytes}`);
  if (frame.length < PREFIX_BYTES) throw new FrameError('malformed', 'frame is shorter than its prefix');
  if (frame[0] !== FRAME_VERSION) throw new FrameError('malformed', `unknown frame version ${frame[0]}`);
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
  if (headerLength > limits.maxHeaderBytes) throw new FrameError('too_large', `header of ${headerLength} bytes exceeds the limit of ${limits.maxHeaderBytes}`);
  if (PREFIX_BYTES + headerLength > frame.length) throw new FrameError('malformed', 'frame is shorter than its header length says');

  let text: string;
  try {
    text = decoder.decode(frame.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch {
    throw new FrameError('malformed', 'header is not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FrameError('malformed', 'header is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FrameError('malformed', 'header is not a JSON object');
  const header = raw as Record<string, unknown>;
  const lengths = header.$blobs;
  if (!Array.isArray(lengths) || lengths.length > limits.maxBlobs) throw new FrameError('malformed', 'header has no valid blob table');
  const blobs: Uint8Array[] = [];
  let offset = PREFIX_BYTES + headerLength;
  for (const length of lengths) {
    if (!Number.isSafeInteger(length) || (length as number) < 0 || offset + (length as number) > frame.length) {
      throw new FrameError('malformed', 'blob table does not match the frame');
    }
    blobs.push(frame.subarray(offset, offset + (length as number)));
    offset += length as number;
  }
  if (offset !== frame.length) throw new FrameError('malformed', 'frame has trailing bytes after its blobs');
  delete header.$blobs;

  const used = new Uint8Array(blobs.length);
  const resolve = (v: unknown, depth: number): unknown => {
    if (depth > 16) throw new FrameError('malformed', 'header is nested too deeply');
    if (Array.isArray(v)) return v.map((x) => resolve(x, depth + 1));
    if (typeof v !== 'object' || v === null) return v;
    if (isBlobRef(v)) {
      const i = v.$b;
      if (!Number.isInteger(i) || i < 0 || i >= blobs.length || used[i]) throw new FrameError('malformed', 'header has an invalid blob reference');
      used[i] = 1;
      return blobs[i];
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') throw new FrameError('malformed', 'header uses a reserved key');
      out[k] = resolve(x, depth + 1);
    }
    return out;
  };
  const message = resolve(header, 0) as Record<string, unknown>;
  if (used.some((u) => u === 0)) throw new FrameError('malformed', 'frame carries a blob nothing refers to');
  return message;
}
