/**
 * Session: whether a vault exists, whether it is unlocked, onboarding steps, idle auto-lock. Passphrases pass
 * through here only as call arguments and are never stored; the recovery key is held until the user confirms
 * they saved it, then dropped.
 */
import { create } from 'zustand';
import { call, codeOf, messageOf, on } from '../lib/api.dom.ts';
import { dropAllPlaintext } from './reset.dom.ts';
import { ageOn } from '../lib/age.dom.ts';

export type Phase = 'loading' | 'age' | 'underage' | 'create' | 'recovery' | 'unlock' | 'recover' | 'ready' | 'offline';

interface SessionState {
  phase: Phase;
  error: string | null;
  busy: boolean;
  recoveryKey: string | null;
  lockReason: string | null;
  idleLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  init(): Promise<void>;
  go(phase: Phase): void;
  confirmAge(birthdate: string, today?: Date): void;
  createVault(passphrase: string): Promise<boolean>;
  savedRecoveryKey(): void;
  unlock(passphrase: string): Promise<boolean>;
  recover(recoveryKey: string, newPassphrase: string): Promise<boolean>;
  lock(): Promise<void>;
  loadPreferences(): Promise<void>;
  setIdleLockMinutes(minutes: number): Promise<void>;
  setTheme(theme: 'system' | 'light' | 'dark'): Promise<void>;
}

export const useSession = create<SessionState>((set, get) => ({
  phase: 'loading',
  error: null,
  busy: false,
  recoveryKey: null,
  lockReason: null,
  idleLockMinutes: 15,
  theme: 'system',

  async init() {
    try {
      const status = await call('vault.status', {});
      if (status.unlocked) {
        set({ phase: 'ready', error: null });
        await get().loadPreferences();
      } else set({ phase: status.exists ? 'unlock' : 'age', error: null });
    } catch (e) {
      set({ phase: 'offline', error: messageOf(e) });
    }
  },

  go(phase) {
    set({ phase, error: null });
  },

  confirmAge(birthdate, today = new Date()) {
    const age = ageOn(birthdate, today);
    if (age === null) set({ error: 'Enter your date of birth as a real date in the past.' });
    else if (age < 18) set({ phase: 'underage', error: null });
    else set({ phase: 'create', error: null });
  },

  async createVault(passphrase) {
    set({ busy: true, error: null });
    try {
      const { recoveryKey } = await call('vault.create', { passphrase });
      set({ busy: false, phase: 'recovery', recoveryKey });
      return true;
    } catch (e) {
      set({ busy: false, error: messageOf(e) });
      return false;
    }
  },

  savedRecoveryKey() {
    set({ recoveryKey: null, phase: 'ready', error: null });
    void get().loadPreferences();
  },

  async unlock(passphrase) {
    set({ busy: true, error: null });
    try {
      await call('vault.unlock', { passphrase });
      set({ busy: false, phase: 'ready', lockReason: null });
      await get().loadPreferences();
      return true;
    } catch (e) {
      const wrong = codeOf(e) === 'wrong_secret';
      set({ busy: false, error: wrong ? 'That passphrase is not right. Check Caps Lock and try again.' : messageOf(e) });
      return false;
    }
  },

  async recover(recoveryKey, newPassphrase) {
    set({ busy: true, error: null });
    try {
      await call('vault.recover', { recoveryKey, newPassphrase });
      set({ busy: false, phase: 'ready', lockReason: null });
      await get().loadPreferences();
      return true;
    } catch (e) {
      const wrong = codeOf(e) === 'wrong_secret';
      set({ busy: false, error: wrong ? 'That recovery key does not open this vault. Check each group of characters.' : messageOf(e) });
      return false;
    }
  },

  async lock() {
    try {
      await call('vault.lock', {});
    } finally {
      // The 'vault.locked' event does the same; doing it here too means a lost event cannot leave text on screen.
      lockedLocally('manual');
    }
  },

  async loadPreferences() {
    try {
      const prefs = await call('settings.get', {});
      set({ idleLockMinutes: prefs.idleLockMinutes, theme: prefs.theme });
      applyTheme(prefs.theme);
    } catch {
      // Preferences are a nicety; defaults stand in when the core has none yet.
    }
  },

  async setIdleLockMinutes(minutes) {
    set({ idleLockMinutes: minutes });
    await call('settings.update', { idleLockMinutes: minutes });
  },

  async setTheme(theme) {
    set({ theme });
    applyTheme(theme);
    await call('settings.update', { theme });
  },
}));

export function applyTheme(theme: 'system' | 'light' | 'dark'): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

const reasons: Record<string, string> = {
  manual: 'Locked.',
  idle: 'Locked after a period without activity.',
  sleep: 'Locked because the computer went to sleep.',
  wipe: 'This vault was wiped.',
};

function lockedLocally(reason: string): void {
  dropAllPlaintext();
  useSession.setState({ phase: 'unlock', recoveryKey: null, error: null, busy: false, lockReason: reasons[reason] ?? 'Locked.' });
}

let listening = false;
/** Wires the core's lock event once; call at start-up. */
export function listenForLock(): void {
  if (listening) return;
  listening = true;
  on('vault.locked', ({ reason }) => lockedLocally(reason));
}

/** Locks the vault after `idleLockMinutes` without keyboard, pointer or wheel activity (0 = never). */
export function startIdleLock(): () => void {
  let last = Date.now();
  const bump = () => {
    last = Date.now();
  };
  const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
  for (const e of events) window.addEventListener(e, bump, { passive: true });
  let lastPing = Date.now();
  const timer = window.setInterval(() => {
    const { phase, idleLockMinutes } = useSession.getState();
    if (phase !== 'ready' || idleLockMinutes <= 0) return;
    // The core runs its own idle timer on API traffic; someone reading or typing makes no calls, so tell the
    // core they are still here.
    if (last > lastPing && Date.now() - lastPing > 30_000) {
      lastPing = Date.now();
      void call('vault.status', {}).catch(() => undefined);
    }
    if (Date.now() - last >= idleLockMinutes * 60_000) {
      last = Date.now();
      void call('vault.lock', {})
        .catch(() => undefined)
        .finally(() => lockedLocally('idle'));
    }
  }, 5_000);
  return () => {
    for (const e of events) window.removeEventListener(e, bump);
    window.clearInterval(timer);
  };
}
