/**
 * The optional sharings and whether each is granted (kept in the vault's settings document, synced). Loaded on
 * unlock and whenever records change (a change made on another device arrives that way); dropped on lock. Code
 * that shares something asks `consentGranted` at the moment it would share, so a revoke counts at once.
 */
import { create } from 'zustand';
import type { ConsentName, ConsentView } from '../../shared/api/privacy.std.ts';
import { call, on } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';

interface ConsentState {
  list: ConsentView[];
  load(): Promise<void>;
  set(name: ConsentName, granted: boolean): Promise<void>;
}

let listening = false;

export const useConsents = create<ConsentState>((set, get) => ({
  list: [],
  async load() {
    if (!listening) {
      listening = true;
      on('records.changed', () => {
        if (get().list.length > 0) void get().load().catch(() => undefined);
      });
    }
    set({ list: await call('consent.list', {}) });
  },
  /** Shows the change at once and records it; a refused change is put back. */
  async set(name, granted) {
    const before = get().list;
    set({ list: before.map((c) => (c.name === name ? { ...c, granted } : c)) });
    try {
      const changed = await call('consent.set', { name, granted });
      set({ list: get().list.map((c) => (c.name === name ? changed : c)) });
    } catch (e) {
      set({ list: before });
      throw e;
    }
  },
}));

export const consentGranted = (name: ConsentName): boolean => useConsents.getState().list.some((c) => c.name === name && c.granted);

onPlaintextDrop(() => useConsents.setState({ list: [] }));
