/** Whole cores (the API every transport uses) on real SQLite data folders, for end-to-end sync tests. */
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import type { KekAhead } from '../../electron/core/vault/vault.node.ts';
import { tempDir } from '../support/files.node.ts';

export const PASS = 'correct horse battery staple';

export interface CoreDevice {
  dir: string;
  core: Core;
  call: Call;
}

/** `kekAhead`: a test's kekMemo, for a folder it unlocks more than once. */
export async function openDevice(dir = tempDir('sync-device'), kekAhead?: KekAhead): Promise<CoreDevice> {
  const core = await openCore({ dataDir: dir, idleCheckMs: 3_600_000, kekAhead });
  return { dir, core, call: callFor(core) };
}

/** A new vault with sync enabled; returns the recovery key too. */
export async function firstDevice(relayUrl: string, options: { recovery?: boolean } = {}): Promise<CoreDevice & { recoveryKey: string }> {
  const d = await openDevice();
  const { recoveryKey } = await d.call('vault.create', { passphrase: PASS });
  await d.call('sync.enable', { relayUrl, ...(options.recovery ? { recoveryKey } : {}) });
  return { ...d, recoveryKey };
}

/** A device paired with `from` in a new data folder. */
export async function pairedDevice(from: CoreDevice, relayUrl: string): Promise<CoreDevice> {
  const { code } = await from.call('pair.create', {});
  const d = await openDevice();
  await d.call('pair.join', { code, relayUrl, passphrase: 'another passphrase' });
  return d;
}

export async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}
