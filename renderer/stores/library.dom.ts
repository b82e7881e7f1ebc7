/**
 * The library: catalog entries of every kind, search hits, and deletions waiting out their undo window.
 * A deletion hides the record at once and only reaches the core when the undo window closes.
 */
import { create } from 'zustand';
import type { CatalogEntry, SearchHit } from '../../shared/domain.std.ts';
import { call, messageOf, on } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';

export const UNDO_MS = 6_000;

export interface PendingDelete {
  /** A record id, or a message id for a message. */
  id: string;
  title: string;
  timer: number;
  /** What deleting it takes, run when the undo window closes. */
  run(): Promise<unknown>;
}

export interface Toast {
  id: number;
  text: string;
  undoId?: string;
  tone: 'info' | 'error';
}

export type CharacterSort = 'edited' | 'name' | 'added';
export interface CharacterFilter {
  tag: string;
  sort: CharacterSort;
  favouritesOnly: boolean;
}

interface LibraryState {
  entries: CatalogEntry[];
  loaded: boolean;
  query: string;
  hits: SearchHit[] | null;
  pending: PendingDelete[];
  toasts: Toast[];
  /** How the characters tab is filtered and sorted (kept while the vault is open). */
  filter: CharacterFilter;
  setFilter(patch: Partial<CharacterFilter>): void;
  load(): Promise<void>;
  search(text: string): Promise<void>;
  remove(entry: CatalogEntry): void;
  /** Hides something at once and deletes it when the undo window closes (messages; records go through `remove`). */
  deferDelete(id: string, toastText: string, title: string, run: () => Promise<unknown>): void;
  undo(id: string): void;
  flushDeletes(): Promise<void>;
  toast(text: string, tone?: Toast['tone'], undoId?: string): void;
  dismiss(id: number): void;
}

let toastSeq = 0;
let searchSeq = 0;

export const useLibrary = create<LibraryState>((set, get) => ({
  entries: [],
  loaded: false,
  query: '',
  hits: null,
  pending: [],
  toasts: [],
  filter: { tag: '', sort: 'edited', favouritesOnly: false },

  setFilter(patch) {
    set((s) => ({ filter: { ...s.filter, ...patch } }));
  },

  async load() {
    try {
      const entries = await call('records.list', {});
      set({ entries, loaded: true });
    } catch (e) {
      get().toast(messageOf(e), 'error');
    }
  },

  async search(text) {
    const seq = ++searchSeq;
    set({ query: text });
    if (text.trim() === '') {
      set({ hits: null });
      return;
    }
    try {
      const hits = await call('search.query', { text: text.trim(), limit: 200 });
      if (seq === searchSeq) set({ hits });
    } catch (e) {
      if (seq === searchSeq) get().toast(messageOf(e), 'error');
    }
  },

  remove(entry) {
    get().deferDelete(entry.id, `Deleted “${entry.title || 'Untitled'}”.`, entry.title, () => call(deleteCommand[entry.kind], { id: entry.id }));
  },

  deferDelete(id, toastText, title, run) {
    const timer = window.setTimeout(() => void commitDelete(id), UNDO_MS);
    set((s) => ({ pending: [...s.pending, { id, title, timer, run }] }));
    get().toast(toastText, 'info', id);
  },

  undo(id) {
    const p = get().pending.find((x) => x.id === id);
    if (!p) return;
    window.clearTimeout(p.timer);
    set((s) => ({ pending: s.pending.filter((x) => x.id !== id), toasts: s.toasts.filter((t) => t.undoId !== id) }));
  },

  async flushDeletes() {
    const pending = get().pending;
    for (const p of pending) window.clearTimeout(p.timer);
    await Promise.all(pending.map((p) => commitDelete(p.id)));
  },

  toast(text, tone = 'info', undoId) {
    const id = ++toastSeq;
    // The same words again replace the earlier toast rather than stack a copy of it (undo toasts are each their own).
    const same = (t: Toast) => !undoId && !t.undoId && t.text === text && t.tone === tone;
    set((s) => ({ toasts: [...s.toasts.filter((t) => !same(t)).slice(-3), { id, text, tone, ...(undoId ? { undoId } : {}) }] }));
    window.setTimeout(() => get().dismiss(id), undoId ? UNDO_MS : tone === 'error' ? 10_000 : 4_000);
  },

  dismiss(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
}));

const deleteCommand = {
  character: 'character.delete',
  scenario: 'scenario.delete',
  persona: 'persona.delete',
  conversation: 'conversation.delete',
  lorebook: 'lorebook.delete',
} as const;

async function commitDelete(id: string): Promise<void> {
  const p = useLibrary.getState().pending.find((x) => x.id === id);
  if (!p) return;
  try {
    await p.run();
    useLibrary.setState((s) => ({ pending: s.pending.filter((x) => x.id !== id), entries: s.entries.filter((e) => e.id !== id) }));
  } catch (e) {
    // The record stays: show it again and say why.
    useLibrary.setState((s) => ({ pending: s.pending.filter((x) => x.id !== id) }));
    useLibrary.getState().toast(`Could not delete “${p.title}”: ${messageOf(e)}`, 'error');
  }
}

onPlaintextDrop(() => {
  for (const p of useLibrary.getState().pending) window.clearTimeout(p.timer);
  useLibrary.setState({ entries: [], loaded: false, query: '', hits: null, pending: [], toasts: [], filter: { tag: '', sort: 'edited', favouritesOnly: false } });
});

let listening = false;
/** Records change underneath us (another window, sync, imports): refetch the catalog, at most every 200 ms. */
export function listenForChanges(): void {
  if (listening) return;
  listening = true;
  let timer = 0;
  on('records.changed', () => {
    if (!useLibrary.getState().loaded || timer) return;
    timer = window.setTimeout(() => {
      timer = 0;
      void useLibrary.getState().load();
    }, 200);
  });
}
