/**
 * Sync as the whole window sees it: the latest status from the core, kept running once sync is on (after enabling
 * or pairing, and at every unlock) unless the user paused it for this session. The corner badge, the Sync screen
 * and the "removed from your account" page all read it.
 */
import { create } from 'zustand';
import type { SyncStatusView } from '../../shared/api/sync.std.ts';
import { call, on } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';

interface SyncState {
  status: SyncStatusView | null;
  /** The user turned automatic sync off; it stays off until they turn it on or the vault locks. */
  paused: boolean;
  /** "Enable sync" is running: its own steps come first (status events already say "enabled" meanwhile). */
  enabling: boolean;
  refresh(): Promise<SyncStatusView | null>;
  /** A status from an event or a command: kept, and sync started when it should run but does not. */
  take(s: SyncStatusView): void;
  setAutomatic(on: boolean): Promise<void>;
}

/** States where sync is on but not running by itself. */
const stopped = new Set<SyncStatusView['state']>(['idle', 'off', 'closed']);
let starting = false;

export const useSync = create<SyncState>((set, get) => ({
  status: null,
  paused: false,
  enabling: false,
  async refresh() {
    try {
      const s = await call('sync.status', {});
      get().take(s);
      return s;
    } catch {
      return null;
    }
  },
  take(s) {
    // Status events do not carry recoveryReady: keep the last known value rather than flip to "no".
    set((old) => ({ status: { ...s, recoveryReady: s.recoveryReady ?? old.status?.recoveryReady } }));
    if (s.enabled && stopped.has(s.state) && !get().paused && !get().enabling && !starting) {
      starting = true;
      void call('sync.setWatch', { on: true })
        .then((n) => set((old) => ({ status: { ...n, recoveryReady: old.status?.recoveryReady } })))
        .catch(() => undefined)
        .finally(() => (starting = false));
    }
  },
  async setAutomatic(on) {
    set({ paused: !on });
    const s = await call('sync.setWatch', { on });
    set((old) => ({ status: { ...s, recoveryReady: old.status?.recoveryReady } }));
  },
}));

onPlaintextDrop(() => useSync.setState({ status: null, paused: false, enabling: false }));

let listening = false;
export function listenForSync(): void {
  if (listening) return;
  listening = true;
  on('sync.status', (s) => useSync.getState().take(s));
}

export type SyncSummary = { label: string; tone: 'ok' | 'busy' | 'warn' | 'muted' };

/** The few words the corner shows; the Sync screen has the details. */
export function summarise(s: SyncStatusView): SyncSummary {
  const waiting = `${s.outbox} change${s.outbox === 1 ? '' : 's'} waiting`;
  if (s.state === 'removed') return { label: 'Removed from your account', tone: 'warn' };
  if (s.state === 'wiped') return { label: 'Wiped', tone: 'warn' };
  if (s.state === 'offline') return { label: s.outbox ? `Offline · ${waiting}` : 'Offline', tone: 'warn' };
  if (s.quarantined || s.withheld || s.problems.length || (s.lastError && s.state !== 'syncing')) return { label: 'Sync problem', tone: 'warn' };
  if (s.state === 'syncing' || s.outbox > 0 || s.pending > 0) return { label: 'Syncing…', tone: 'busy' };
  if (s.state === 'watching') return { label: 'Synced', tone: 'ok' };
  return { label: 'Sync paused', tone: 'muted' };
}
