/**
 * The remote part of a wipe that could not reach the relay, kept in `pending-wipe.json` in the data folder
 * (wipe.node.ts, docs/sync-client.md "Wipe"). Apart from the wipe itself so `vault.status`, which every CLI call
 * and app start makes, reads it without loading the sync engine (docs/decisions.md #20).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WipeMarker } from '../../../shared/sync/messages.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { fromHex, toHex } from '../crypto/sodium.node.ts';

export const PENDING_WIPE_FILE = 'pending-wipe.json';

export interface PendingWipe {
  relayUrl: string;
  relayKey: Uint8Array;
  marker: WipeMarker;
}

export function writePendingWipe(dataDir: string, p: PendingWipe): string {
  const file = join(dataDir, PENDING_WIPE_FILE);
  const m = p.marker;
  const json = {
    format: 'mindstage-pending-wipe',
    note: 'The remote part of a wipe that could not reach the relay. It holds no secret. Run "mindstage wipe --yes" with this data folder to finish it.',
    relayUrl: p.relayUrl,
    relayKey: toHex(p.relayKey),
    marker: { accountId: toHex(m.accountId), issuedAt: m.issuedAt, authority: m.authority, signer: toHex(m.signer), sig: toHex(m.sig) },
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function readPendingWipe(dataDir: string): PendingWipe | null {
  const file = join(dataDir, PENDING_WIPE_FILE);
  if (!existsSync(file)) return null;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { relayUrl: string; relayKey: string; marker: { accountId: string; issuedAt: number; authority: string; signer: string; sig: string } };
    return {
      relayUrl: j.relayUrl,
      relayKey: fromHex(j.relayKey),
      marker: { accountId: fromHex(j.marker.accountId), issuedAt: j.marker.issuedAt, authority: j.marker.authority, signer: fromHex(j.marker.signer), sig: fromHex(j.marker.sig) },
    };
  } catch {
    throw new MindstageError('integrity', `${file} is damaged; the pending remote wipe cannot be finished from it.`);
  }
}

export function clearPendingWipe(dataDir: string): void {
  rmSync(join(dataDir, PENDING_WIPE_FILE), { force: true });
}
