/** Small pieces every storage implementation shares. */
import type { CoverRange, DeviceList, WipeCounts } from '../../shared/sync/messages.std.ts';
import { equalBytes } from '../../shared/sync/signing.std.ts';
import type { RelayEvent } from './types.node.ts';

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
/** A private copy: callers may hand us views into a frame buffer that will be reused. */
export const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export const covered = (covers: CoverRange[], deviceId: Uint8Array, deviceSeq: number): boolean =>
  covers.some((c) => deviceSeq >= c.from && deviceSeq <= c.to && equalBytes(c.deviceId, deviceId));

export const zeroCounts = (): WipeCounts => ({ updates: 0, snapshots: 0, tombstones: 0, devices: 0, pairings: 0, bytes: 0 });

/** Covers travel to storage as JSON (hex device ids) in SQL implementations. */
export const coversToJson = (covers: CoverRange[]): string => JSON.stringify(covers.map((c) => [hex(c.deviceId), c.from, c.to]));
export const coversFromJson = (json: string): CoverRange[] =>
  (JSON.parse(json) as [string, number, number][]).map(([d, from, to]) => ({ deviceId: unhex(d), from, to }));

/** Device lists travel to SQL storage as one JSON text per version (hex byte strings); they are small. */
export const listToJson = (l: DeviceList): string =>
  JSON.stringify({ ...l, accountId: hex(l.accountId), prev: hex(l.prev), devices: l.devices.map(hex), recovery: l.recovery && hex(l.recovery), signer: hex(l.signer), sig: hex(l.sig) });
export function listFromJson(json: string): DeviceList {
  const j = JSON.parse(json) as Record<string, unknown> & { devices: string[]; recovery: string | null };
  const b = (k: string) => unhex(j[k] as string);
  return { accountId: b('accountId'), version: j.version as number, prev: b('prev'), devices: j.devices.map(unhex), recovery: j.recovery === null ? null : unhex(j.recovery), issuedAt: j.issuedAt as number, signer: b('signer'), sig: b('sig') };
}

/** Which of `rows` (active devices) a new list version drops, and whether it names a device removed before. */
export function listChange(list: DeviceList, rows: { deviceId: Uint8Array; revokedAt: number | null }[]): { removed: Uint8Array[]; added: Uint8Array[]; readmits: boolean } {
  const inList = new Set(list.devices.map(hex));
  const known = new Map(rows.map((r) => [hex(r.deviceId), r]));
  return {
    removed: rows.filter((r) => r.revokedAt === null && !inList.has(hex(r.deviceId))).map((r) => r.deviceId),
    added: list.devices.filter((d) => !known.has(hex(d))),
    readmits: list.devices.some((d) => known.get(hex(d))?.revokedAt != null),
  };
}

/** In-process delivery of relay events; PostgreSQL adds cross-instance delivery on top. */
export class LocalBus {
  private readonly listeners = new Set<(event: RelayEvent) => void>();
  subscribe(listener: (event: RelayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: RelayEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One failing listener must not stop delivery to the others; the relay logs its own failures.
      }
    }
  }
}

/** Database drivers hand back Buffers; the protocol works on plain Uint8Array views. */
export const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Adds one count-by-kind row (as the wipe and usage queries return them) to `into`. */
export function addKindCount(into: { updates: number; snapshots: number; tombstones: number; bytes: number }, kind: string, n: number, bytes: number): void {
  into[kind === 'update' ? 'updates' : kind === 'snapshot' ? 'snapshots' : 'tombstones'] += n;
  into.bytes += bytes;
}
