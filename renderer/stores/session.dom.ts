/**
 * Session: whether a vault exists, whether it is unlocked, onboarding steps, idle auto-lock. Passphrases pass
 * through here only as call arguments and are never stored; the recovery key is held until the user confirms
 * they saved it, then dropped.
 */
import { create } from 'zustand';
import { call, codeOf, messageOf, on } from '../lib/api.dom.ts';
import { dropAllPlaintext } from './reset.dom.ts';
import { ageOn } from '../lib/age.dom.ts';
import { usePrefs } from './prefs.dom.ts';
import type { WipeReport } from '../../shared/api/sync.std.ts';
import type { ErrorCode } from '../../shared/result.std.ts';

export type Phase = 'loading' | 'age' | 'underage' | 'create' | 'recovery' | 'unlock' | 'recover' | 'join' | 'restore' | 'ready' | 'wiped' | 'offline' | 'no-access';

interface SessionState {
  phase: Phase;
  error: string | null;
  busy: boolean;
  recoveryKey: string | null;
  lockReason: string | null;
  idleLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  /** What the last wipe from this window did (shown on the "wiped" page); null when another device wiped us. */
  wipeReport: WipeReport | null;
  wipeError: string | null;
  wiping: boolean;
  init(): Promise<void>;
  go(phase: Phase): void;
  confirmAge(birthdate: string, today?: Date): void;
  createVault(passphrase: string): Promise<boolean>;
  savedRecoveryKey(): void;
  unlock(passphrase: string): Promise<boolean>;
  recover(recoveryKey: string, newPassphrase: string): Promise<boolean>;
  lock(): Promise<void>;
  /** Pair this new data folder with a device that already has the vault (a one-time code through the relay). */
  join(code: string, relayUrl: string, passphrase: string): Promise<boolean>;
  /** Restore on this new data folder from the relay with the recovery key alone. */
  restoreFromRelay(recoveryKey: string, relayUrl: string, newPassphrase: string): Promise<boolean>;
  /** Wipes the relay's copy (verified receipt) and this device; the app then shows what was wiped. */
  wipe(): Promise<void>;
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
  wipeReport: null,
  wipeError: null,
  wiping: false,

  async init() {
    try {
      const status = await call('vault.status', {});
      if (status.unlocked) {
        set({ phase: 'ready', error: null });
        await get().loadPreferences();
      } else if (!status.exists && status.pendingWipe) {
        // This folder was wiped while the relay was unreachable: say so, and offer to send the relay part now.
        set({
          phase: 'wiped',
          error: null,
          wipeReport: { remote: 'pending', remoteError: `${status.pendingWipe.relay} was unreachable at the time`, local: 'nothing', files: [], pendingFile: 'pending-wipe.json' },
        });
      } else if (!status.exists && status.wipedRemotely) {
        // Wiped from another device while no window was open: the "wiped" page says so, then onboarding.
        set({ phase: 'wiped', error: null, wipeReport: null, wiping: false });
      } else set({ phase: status.exists ? 'unlock' : 'age', error: null });
    } catch (e) {
      // A refused page address (used twice, or missing) is not a fault of the core: it gets its own page.
      set({ phase: codeOf(e) === 'wrong_secret' ? 'no-access' : 'offline', error: messageOf(e) });
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

  unlock: (passphrase) =>
    enterVault(() => call('vault.unlock', { passphrase }), { wrong_secret: 'That passphrase is not right. Check Caps Lock and try again.' }),

  recover: (recoveryKey, newPassphrase) =>
    enterVault(() => call('vault.recover', { recoveryKey, newPassphrase }), {
      wrong_secret: 'That recovery key does not open this vault. Check each group of characters.',
    }),

  join: (code, relayUrl, passphrase) =>
    enterVault(() => call('pair.join', { code: code.trim().toUpperCase(), relayUrl: relayUrl.trim(), passphrase }), {
      not_found: 'No device is waiting with that code on this relay. A code works once and expires: check it, or make a new one on your other device.',
    }),

  restoreFromRelay: (recoveryKey, relayUrl, newPassphrase) =>
    enterVault(() => call('vault.recoverFromRelay', { recoveryKey: recoveryKey.trim(), relayUrl: relayUrl.trim(), newPassphrase }), {
      not_found: 'The relay has nothing to restore for that recovery key. Check the key, and that "Allow restoring with the recovery key" was turned on when sync was enabled.',
    }),

  async wipe() {
    set({ wipeReport: null, wipeError: null, wiping: true });
    try {
      const report = await call('vault.wipe', {});
      lockedLocally('wipe');
      set({ wipeReport: report, wiping: false });
    } catch (e) {
      set({ wipeError: messageOf(e), wiping: false });
      throw e;
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
      usePrefs.getState().loaded(prefs);
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

/**
 * Every way into an unlocked vault (passphrase, recovery key, pairing, restore) ends the same: ready, preferences
 * loaded — or an error, reworded for the expected failure codes.
 */
async function enterVault(open: () => Promise<unknown>, messages: Partial<Record<ErrorCode, string>>): Promise<boolean> {
  useSession.setState({ busy: true, error: null });
  try {
    await open();
    useSession.setState({ busy: false, phase: 'ready', lockReason: null });
    await useSession.getState().loadPreferences();
    return true;
  } catch (e) {
    const code = codeOf(e);
    useSession.setState({ busy: false, error: (code && messages[code]) || messageOf(e) });
    return false;
  }
}

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
  if (reason === 'wipe') {
    // The vault is gone: there is nothing to unlock. The "wiped" page says what happened, then onboarding.
    useSession.setState({ phase: 'wiped', recoveryKey: null, error: null, busy: false, lockReason: null });
    return;
  }
  // On the screens before a vault exists (creating, joining, restoring) a lock from the core — a half-made vault
  // given up after a refused join or restore — must not show "Unlock your vault" for a vault that is not there.
  const phase = useSession.getState().phase;
  if (phase === 'age' || phase === 'create' || phase === 'join' || phase === 'restore') return;
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
