/**
 * Which screen is shown. Editors mark themselves dirty; leaving a dirty editor asks first, so unsaved work is
 * never dropped by a stray click.
 */
import { create } from 'zustand';
import type { RecordKind } from '../../shared/domain.std.ts';
import { onPlaintextDrop } from './reset.dom.ts';
import { confirmDialog } from '../components/dialog.dom.tsx';

export type View =
  | { name: 'library'; tab: RecordKind }
  | { name: 'character' | 'scenario' | 'persona' | 'lorebook'; id: string | null }
  /** `find`: a search match to scroll to and highlight. */
  | { name: 'chat'; id: string; find?: { messageId: string; text: string } }
  | { name: 'providers' }
  | { name: 'presets' }
  | { name: 'sync' }
  | { name: 'ledger' }
  | { name: 'privacy' }
  | { name: 'gallery' }
  | { name: 'settings' };

interface NavState {
  view: View;
  /** The library tab last shown: "← Library" returns there, wherever the user went from it. */
  libraryTab: RecordKind;
  dirty: boolean;
  navigate(view: View): boolean;
  setDirty(dirty: boolean): void;
}

export const LEAVE_PROMPT = 'You have unsaved changes. Leave without saving them?';

export const useNav = create<NavState>((set, get) => ({
  view: { name: 'library', tab: 'character' },
  libraryTab: 'character',
  dirty: false,
  navigate(view) {
    const go = () => set({ view, dirty: false, ...(view.name === 'library' ? { libraryTab: view.tab } : {}) });
    if (get().dirty) {
      // Asked in the app; the move happens once the user agrees (so the caller is told "not now").
      void confirmDialog({ title: 'Unsaved changes', body: LEAVE_PROMPT, confirm: 'Leave without saving', danger: true }).then((ok) => ok && go());
      return false;
    }
    go();
    return true;
  },
  setDirty(dirty) {
    if (get().dirty !== dirty) set({ dirty });
  },
}));

onPlaintextDrop(() => useNav.setState({ view: { name: 'library', tab: 'character' }, libraryTab: 'character', dirty: false }));

window.addEventListener('beforeunload', (e) => {
  if (useNav.getState().dirty) e.preventDefault();
});
