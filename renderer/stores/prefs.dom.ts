/**
 * The preferences the UI reads everywhere (favourites, how the chat looks, reading aloud), kept in the vault's
 * settings document so they follow the user to every device. Loaded on unlock, dropped on lock.
 */
import { create } from 'zustand';
import type { PreferencesView } from '../../shared/api/chat.std.ts';
import { call } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';

export type Prefs = PreferencesView;

export const defaultPrefs: Prefs = { idleLockMinutes: 15, theme: 'system', favourites: [], chatStyle: 'bubbles', fontSize: 16, chatWidth: 'medium', readAloud: false, voices: {} };

interface PrefsState {
  prefs: Prefs;
  loaded(prefs: Prefs): void;
  /** Shows the change at once and stores it; a refused change is put back. */
  update(patch: Partial<Prefs>): Promise<void>;
  toggleFavourite(id: string): Promise<void>;
}

export const usePrefs = create<PrefsState>((set, get) => ({
  prefs: defaultPrefs,
  loaded(prefs) {
    set({ prefs: { ...defaultPrefs, ...prefs } });
    applyAccent(prefs.accent);
  },
  async update(patch) {
    const before = get().prefs;
    set({ prefs: { ...before, ...patch } });
    if ('accent' in patch) applyAccent(patch.accent);
    try {
      get().loaded(await call('settings.update', patch));
    } catch (e) {
      get().loaded(before);
      throw e;
    }
  },
  toggleFavourite(id) {
    const favs = get().prefs.favourites;
    return get().update({ favourites: favs.includes(id) ? favs.filter((f) => f !== id) : [...favs, id] });
  },
}));

onPlaintextDrop(() => {
  usePrefs.setState({ prefs: defaultPrefs });
  applyAccent(undefined);
});

/**
 * The accent colour on the root element. Text on it is black or white, whichever contrasts more (WCAG relative
 * luminance), so a chosen colour never makes a primary button unreadable.
 */
export function applyAccent(accent: string | undefined): void {
  const root = document.documentElement.style;
  if (!accent) {
    for (const v of ['--accent', '--accent-text', '--accent-soft']) root.removeProperty(v);
    return;
  }
  const lum = luminance(accent);
  root.setProperty('--accent', accent);
  root.setProperty('--accent-text', (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? '#10131a' : '#ffffff');
  root.setProperty('--accent-soft', `color-mix(in srgb, ${accent} 22%, var(--surface))`);
}

export function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
