/**
 * Every message of the relay protocol (docs/sync-protocol.md), as zod schemas over the decoded frame. Client →
 * relay messages carry a request id `id` that the answer echoes; `push` and unsolicited `error`/`wiped` frames
 * carry none. Byte strings are Uint8Array (they travel as frame blobs, see frame.std.ts).
 *
 * The relay sees only: public keys (account id, device ids), opaque 32-byte document ids chosen by the client
 * (already keyed hashes), per-device sequence numbers, signatures and ciphertext. Nothing here can carry plaintext
 * the relay could read, by construction of what the fields are.
 */
import { z } from 'zod';
import { decodeFrame, encodeFrame, FrameError, type FrameLimits } from './frame.std.ts';

export const PROTOCOL_VERSION = 1;
export const ID_BYTES = 32; // Ed25519 public keys, document ids, mailbox ids
export const SIG_BYTES = 64; // Ed25519 signatures
export const NONCE_BYTES = 32;
export const MAX_COVER_RANGES = 10_000;
export const MAX_PULL_ITEMS = 10_000;

// z.custom rather than z.instanceof: the latter narrows to Uint8Array<ArrayBuffer>, which Buffers and views are not.
const anyBytes = (what: string) => z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: `${what} must be bytes` });
const bytesOf = (n: number, what: string) => anyBytes(what).refine((b) => b.length === n, `${what} must be ${n} bytes`);
const id32 = (what: string) => bytesOf(ID_BYTES, what);
const sig = bytesOf(SIG_BYTES, 'sig');
const blob = anyBytes('body');
const reqId = z.number().int().min(0).max(2 ** 31);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const deviceSeq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const time = z.number().int().min(0).max(8.64e15);
/** host[:port] the client dialled, lowercased; binds signatures to one relay. */
const authority = z.string().min(1).max(255).regex(/^[a-z0-9.\-[\]:]+$/, 'authority must be host[:port] in lowercase');

export const CoverRange = z
  .strictObject({ deviceId: id32('deviceId'), from: deviceSeq, to: deviceSeq })
  .refine((r) => r.from <= r.to, 'cover range must have from ≤ to');
export type CoverRange = z.infer<typeof CoverRange>;

/**
 * A wipe request, signed by a device on the account's current device list (or its recovery authority); the relay
 * keeps it as the marker other devices verify against the list they last verified.
 */
export const WipeMarker = z.strictObject({ accountId: id32('accountId'), issuedAt: time, authority, signer: id32('signer'), sig });
export type WipeMarker = z.infer<typeof WipeMarker>;

export const WipeCounts = z.strictObject({
  updates: seq,
  snapshots: seq,
  tombstones: seq,
  devices: seq,
  pairings: seq,
  bytes: seq,
});
export type WipeCounts = z.infer<typeof WipeCounts>;

/** What the relay deleted, signed by the relay's own Ed25519 key. */
export const WipeReceipt = z.strictObject({
  accountId: id32('accountId'),
  wipedAt: time,
  counts: WipeCounts,
  markerSig: sig,
  relayKey: id32('relayKey'),
  sig,
});
export type WipeReceipt = z.infer<typeof WipeReceipt>;

export const itemKinds = ['update', 'snapshot', 'tombstone'] as const;
export type ItemKind = (typeof itemKinds)[number];

/** One stored item as a device downloads it. `body` is absent for tombstones, `covers` empty unless a snapshot. */
export const Item = z.strictObject({
  kind: z.enum(itemKinds),
  serverSeq: seq,
  docId: id32('docId'),
  deviceId: id32('deviceId'),
  deviceSeq,
  body: blob.optional(),
  covers: z.array(CoverRange).max(MAX_COVER_RANGES),
  sig,
});
export type Item = z.infer<typeof Item>;

/** A device row of an account made by protocol v1 (enrolled with the account key), before it had a device list. */
export const DeviceInfo = z.strictObject({ deviceId: id32('deviceId'), enrolledAt: time, enrollSig: sig, revokedAt: time.nullable() });
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const MAX_LIST_DEVICES = 256;
export const MAX_LIST_VERSIONS = 100_000;

/**
 * One version of an account's device list (docs/sync-protocol.md, "Devices"). Version 1 is signed by the account
 * id's own key (the genesis); every later version by a device on the version before it, or by that version's
 * recovery authority, and names the previous version's signature (`prev`; 64 zero bytes for version 1), so the
 * versions form one chain nobody can fork or reorder. `devices` are sorted ascending, without repeats.
 */
export const DeviceList = z.strictObject({
  accountId: id32('accountId'),
  version: z.number().int().min(1).max(2 ** 31),
  prev: sig,
  devices: z.array(id32('device')).min(1).max(MAX_LIST_DEVICES),
  recovery: id32('recovery').nullable(),
  issuedAt: time,
  signer: id32('signer'),
  sig,
});
export type DeviceList = z.infer<typeof DeviceList>;

// ---- client → relay ------------------------------------------------------------------------------------------

const req = <K extends string, T extends z.ZodRawShape>(t: K, shape: T) => z.strictObject({ t: z.literal(t), id: reqId, ...shape });

export const ClientMessage = z.discriminatedUnion('t', [
  req('hello', { protocol: z.number().int(), accountId: id32('accountId'), deviceId: id32('deviceId') }),
  req('auth', { sig }),
  req('setDevices', { list: DeviceList }),
  req('wipe', { marker: WipeMarker }),
  req('upload', { docId: id32('docId'), deviceId: id32('deviceId'), deviceSeq, body: blob, sig }),
  req('snapshot', { docId: id32('docId'), deviceId: id32('deviceId'), deviceSeq, body: blob, covers: z.array(CoverRange).min(1).max(MAX_COVER_RANGES), sig }),
  req('tombstone', { docId: id32('docId'), deviceId: id32('deviceId'), deviceSeq, sig }),
  req('pull', { after: seq, limit: z.number().int().min(1).max(MAX_PULL_ITEMS).optional() }),
  req('devices', {}),
  req('pairPut', { mailbox: id32('mailbox'), body: blob, ttlMs: z.number().int().min(1_000).max(24 * 3600_000) }),
  req('pairTake', { mailbox: id32('mailbox') }),
  /** What the relay holds for the authenticated account (the privacy center's "on the relay"). */
  req('usage', {}),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageOf<T extends ClientMessage['t']> = Extract<ClientMessage, { t: T }>;

// ---- relay → client ------------------------------------------------------------------------------------------

export const relayErrorCodes = [
  'bad_frame', // not a frame, or a frame that is not a valid message
  'too_large', // frame, body or header over the limit
  'unsupported', // protocol version this relay does not speak
  'auth_required', // device operation before authentication
  'auth_failed', // bad signature, wrong relay, replayed or missing challenge
  'unknown_account',
  'unknown_device',
  'revoked', // the device is not (any more) on the account's device list
  'wiped', // the account was wiped; the marker follows
  'rate_limited',
  'too_many_connections',
  'invite_required', // creating an account on this relay needs an invite token
  'quota', // storage per account exhausted
  'replay', // a device sequence number at or below one already used
  'conflict', // same device sequence number, different content
  'deleted', // the document has a tombstone
  'not_found',
  'exists',
  'timeout',
  'shutting_down',
  'internal',
] as const;
export type RelayErrorCode = (typeof relayErrorCodes)[number];

const res = <K extends string, T extends z.ZodRawShape>(t: K, shape: T) => z.strictObject({ t: z.literal(t), id: reqId, ...shape });

export const RelayMessage = z.discriminatedUnion('t', [
  res('challenge', { nonce: bytesOf(NONCE_BYTES, 'nonce'), relayKey: id32('relayKey'), authority }),
  res('welcome', { head: seq, serverTime: time }),
  res('ack', { serverSeq: seq, duplicate: z.boolean(), removed: seq }),
  res('items', { items: z.array(Item).max(MAX_PULL_ITEMS), head: seq, more: z.boolean() }),
  res('deviceList', { lists: z.array(DeviceList).max(MAX_LIST_VERSIONS), legacy: z.array(DeviceInfo).max(10_000) }),
  res('done', {}),
  res('receipt', { receipt: WipeReceipt, marker: WipeMarker }),
  res('pairBody', { body: blob }),
  res('usage', { updates: seq, snapshots: seq, tombstones: seq, bytes: seq, devices: seq }),
  z.strictObject({ t: z.literal('push'), item: Item }),
  z.strictObject({ t: z.literal('wiped'), id: reqId.nullable(), marker: WipeMarker }),
  z.strictObject({
    t: z.literal('error'),
    id: reqId.nullable(),
    code: z.enum(relayErrorCodes),
    message: z.string().max(1_000),
    fatal: z.boolean(),
    retryAfterMs: z.number().int().min(0).optional(),
  }),
]);
export type RelayMessage = z.infer<typeof RelayMessage>;
export type RelayMessageOf<T extends RelayMessage['t']> = Extract<RelayMessage, { t: T }>;

// ---- codecs --------------------------------------------------------------------------------------------------

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; code: 'bad_frame' | 'too_large'; message: string; id: number | null };

function decodeWith<T>(schema: z.ZodType<T>, frame: Uint8Array, limits?: FrameLimits): DecodeResult<T> {
  let raw: Record<string, unknown>;
  try {
    raw = decodeFrame(frame, limits);
  } catch (e) {
    if (e instanceof FrameError) return { ok: false, code: e.reason === 'too_large' ? 'too_large' : 'bad_frame', message: e.message, id: null };
    throw e;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  // Echo the request id when there is a usable one, so a client can match the refusal to its request.
  const id = reqId.safeParse(raw.id);
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, code: 'bad_frame', message: `invalid message: ${where}${issue?.message ?? 'does not match the protocol'}`.slice(0, 500), id: id.success ? id.data : null };
}

export const decodeClientMessage = (frame: Uint8Array, limits?: FrameLimits) => decodeWith(ClientMessage, frame, limits);
export const decodeRelayMessage = (frame: Uint8Array, limits?: FrameLimits) => decodeWith(RelayMessage, frame, limits);
export const encodeMessage = (message: ClientMessage | RelayMessage): Uint8Array => encodeFrame(message);
