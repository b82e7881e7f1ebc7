/** Preferences: theme, idle lock, changing the passphrase, export and import, and wiping everything. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useSession } from '../stores/session.dom.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { TextField, Outcome } from '../components/fields.dom.tsx';
import { MIN_SCORE, StrengthMeter, useStrength } from '../components/strength.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import { DangerZone } from './wipe.dom.tsx';
import { ImportPanel } from './import-panel.dom.tsx';
import { ChatAppearance } from './appearance.dom.tsx';
import { RegexScripts } from './regex-scripts.dom.tsx';
import { AgeGate } from '../gallery/gallery-screen.dom.tsx';
import { WorldInfoSettings } from './world-info-settings.dom.tsx';

export function Settings() {
  const { theme, setTheme, idleLockMinutes, setIdleLockMinutes } = useSession();
  const toast = useLibrary((s) => s.toast);
  const themeId = useId();
  const idleId = useId();
  const personaId = useId();
  const { entries, load } = useLibrary();
  const [defaultPersona, setDefaultPersona] = useState('');
  useEffect(() => {
    void load();
    void call('settings.get', {}).then((p) => setDefaultPersona(p.defaultPersonaId ?? ''), () => undefined);
  }, [load]);
  const chooseDefault = (id: string) => {
    const previous = defaultPersona;
    setDefaultPersona(id);
    // An empty choice cannot be sent as "unset" through this patch shape, so only real ids are stored.
    if (id) void call('settings.update', { defaultPersonaId: id }).catch((err) => (setDefaultPersona(previous), toast(messageOf(err), 'error')));
  };
  return (
    <div className="page">
      <header className="page-head">
        <h1>Settings</h1>
      </header>
      <section className="card">
        <h2>Appearance and locking</h2>
        <div className="field">
          <label htmlFor={themeId}>Theme</label>
          <select id={themeId} value={theme} onChange={(e) => void setTheme(e.target.value as 'system' | 'light' | 'dark').catch((err) => toast(messageOf(err), 'error'))}>
            <option value="system">Same as the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={idleId}>Lock after inactivity</label>
          <select id={idleId} value={String(idleLockMinutes)} onChange={(e) => void setIdleLockMinutes(Number(e.target.value)).catch((err) => toast(messageOf(err), 'error'))}>
            {[1, 5, 15, 30, 60, 240].map((m) => (
              <option key={m} value={m}>
                {m < 60 ? `${m} minute${m === 1 ? '' : 's'}` : `${m / 60} hour${m === 60 ? '' : 's'}`}
              </option>
            ))}
            <option value="0">Never</option>
            {![0, 1, 5, 15, 30, 60, 240].includes(idleLockMinutes) ? <option value={idleLockMinutes}>{idleLockMinutes} minutes</option> : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor={personaId}>Default persona</label>
          <select id={personaId} value={defaultPersona} onChange={(e) => chooseDefault(e.target.value)}>
            <option value="" disabled={defaultPersona !== ''}>
              None
            </option>
            {entries
              .filter((e) => e.kind === 'persona')
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title}
                </option>
              ))}
          </select>
          <div className="hint">Who you play in new conversations unless a scenario says otherwise.</div>
        </div>
      </section>
      <ChatAppearance />
      <AgeGate />
      <section className="card" aria-labelledby="regex-title">
        <h2 id="regex-title">Regex scripts</h2>
        <RegexScripts />
      </section>
      <WorldInfoSettings />
      <ChangePassphrase />
      <ExportImport />
      <ImportPanel />
      <DangerZone />
    </div>
  );
}

function ChangePassphrase() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const strength = useStrength(next);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== confirm) return setMessage({ ok: false, text: 'The two new passphrases are not the same.' });
    if (!strength || strength.score < MIN_SCORE) return setMessage({ ok: false, text: 'Choose a stronger passphrase.' });
    const [c, n] = [current, next];
    setCurrent('');
    setNext('');
    setConfirm('');
    try {
      await call('vault.changePassphrase', { current: c, next: n });
      setMessage({ ok: true, text: 'Passphrase changed. Your recovery key still works.' });
    } catch (err) {
      setMessage({ ok: false, text: messageOf(err) });
    }
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>Change passphrase</h2>
      <TextField label="Current passphrase" type="password" value={current} onChange={setCurrent} autoComplete="current-password" required />
      <TextField label="New passphrase" type="password" value={next} onChange={setNext} autoComplete="new-password" required />
      <StrengthMeter strength={strength} />
      <TextField label="Confirm new passphrase" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" required />
      <Outcome message={message} />
      <button type="submit">Change passphrase</button>
    </form>
  );
}

function ExportImport() {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const exportAll = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const { json } = await call('data.export', {});
      const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `mindstage-export-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setMessage({ ok: true, text: 'Exported. The file is not encrypted: keep it somewhere safe, or delete it when done.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  const importFile = async (file: File) => {
    setBusy(true);
    setMessage(null);
    try {
      const { imported } = await call('data.import', { json: await file.text() });
      setMessage({ ok: true, text: imported === 0 ? 'Nothing new to import: everything in that file is already in this vault.' : `Imported ${imported} item${imported === 1 ? '' : 's'}.` });
      void useLibrary.getState().load();
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Export and import</h2>
      <p>Export writes everything in your vault to one JSON file, decrypted, so you can keep a copy or move it elsewhere. Import adds the contents of such a file to this vault. Your AI providers and their API keys are left out of the file: add them again where you import it.</p>
      <input ref={input} type="file" accept="application/json,.json" hidden onChange={(e) => e.target.files?.[0] && void importFile(e.target.files[0]).then(() => (e.target.value = ''))} />
      <div className="row">
        <button type="button" onClick={() => void exportAll()} disabled={busy}>
          Export everything
        </button>
        <button type="button" onClick={() => input.current?.click()} disabled={busy}>
          Import from a file…
        </button>
      </div>
      <Outcome message={message} />
    </section>
  );
}
