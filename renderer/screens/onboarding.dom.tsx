/** First run: age check, vault creation with a strong passphrase, and the recovery key shown exactly once. */
import { useState, type FormEvent } from 'react';
import { useSession } from '../stores/session.dom.ts';
import { CheckField, TextField, ErrorLine } from '../components/fields.dom.tsx';
import { MIN_SCORE, StrengthMeter, strengthOf, useStrength } from '../components/strength.dom.tsx';

/** The centred card every first-run page sits in (also join.dom.tsx). */
export function Card({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="center-page">
      <section className="card onboarding" aria-labelledby="page-title">
        <p className="brand">Mindstage</p>
        <h1 id="page-title">{title}</h1>
        {children}
      </section>
    </main>
  );
}

export function AgeCheck() {
  const [birthdate, setBirthdate] = useState('');
  const error = useSession((s) => s.error);
  const confirmAge = useSession((s) => s.confirmAge);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    confirmAge(birthdate);
  };
  return (
    <Card title="Welcome">
      <p>Mindstage is a private place to write characters and scenarios and chat with them. Everything stays encrypted on this device.</p>
      <form onSubmit={submit}>
        <TextField label="Your date of birth" type="date" value={birthdate} onChange={setBirthdate} required autoFocus hint="Mindstage is for adults (18 and over)." />
        {error ? <p className="error" role="alert">{error}</p> : null}
        <button type="submit" className="primary">
          Continue
        </button>
      </form>
    </Card>
  );
}

export function Underage() {
  return (
    <Card title="Mindstage is for adults">
      <p role="alert">
        You need to be 18 or older to use Mindstage. Its characters and conversations can include mature themes, so it is made for adults
        only. Nothing was saved.
      </p>
    </Card>
  );
}

export function CreateVault() {
  const [pass, setPass] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const strength = useStrength(pass);
  const { busy, error, createVault, go } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (pass !== confirm) return setLocalError('The two passphrases are not the same.');
    if ((await strengthOf(pass)).score < MIN_SCORE) return setLocalError('Choose a stronger passphrase: it is the only thing protecting your vault.');
    setLocalError(null);
    const submitted = pass;
    // The renderer keeps no passphrase after submit.
    setPass('');
    setConfirm('');
    await createVault(submitted);
  };
  return (
    <Card title="Create your vault">
      <p>Your passphrase encrypts everything. Nobody — not even Mindstage — can recover it for you, so pick one you will remember.</p>
      <form onSubmit={submit}>
        <TextField label="Passphrase" type="password" value={pass} onChange={(v) => (setPass(v), setLocalError(null))} autoComplete="new-password" required autoFocus />
        <StrengthMeter strength={strength} />
        <TextField label="Confirm passphrase" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" required />
        <ErrorLine text={localError ?? error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating… (this takes a moment)' : 'Create vault'}
        </button>
      </form>
      <div className="other-ways">
        <button type="button" className="link" onClick={() => go('join')}>
          I already use Mindstage on another device
        </button>
        <button type="button" className="link" onClick={() => go('restore')}>
          Restore from the relay with my recovery key
        </button>
      </div>
    </Card>
  );
}

/** Copy, download as a text file, or print the recovery key (printing shows the key alone). */
function KeyActions({ value }: { value: string }) {
  const [done, setDone] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setDone('Copied.');
    } catch {
      setDone('Copying is not allowed here: select the key and copy it by hand.');
    }
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([`Mindstage recovery key\n\n${value}\n\nKeep it somewhere safe and private. It opens your vault if you forget your passphrase.\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'mindstage-recovery-key.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setDone('Downloaded as mindstage-recovery-key.txt. Move it somewhere safe, off this device if you can.');
  };
  return (
    <div className="row key-actions">
      <button type="button" onClick={() => void copy()}>
        Copy
      </button>
      <button type="button" onClick={download}>
        Download
      </button>
      <button type="button" onClick={() => window.print()}>
        Print
      </button>
      {done ? (
        <span className="muted small" role="status">
          {done}
        </span>
      ) : null}
    </div>
  );
}

export function RecoveryKey() {
  const { recoveryKey, savedRecoveryKey } = useSession();
  const [saved, setSaved] = useState(false);
  return (
    <Card title="Save your recovery key">
      <p>If you forget your passphrase, this key is the only way back into your vault. It is shown once. Write it down or store it in a password manager.</p>
      <output className="recovery-key" aria-label="Recovery key">
        {/* Groups never break inside: a line may end only after a dash. */}
        {(recoveryKey ?? '').split('-').map((group, i) => (
          <span key={i} className="key-group">
            {i ? '-' : ''}
            {group}
          </span>
        ))}
      </output>
      <KeyActions value={recoveryKey ?? ''} />
      <CheckField label="I have saved my recovery key somewhere safe" checked={saved} onChange={setSaved} />
      <button type="button" className="primary" disabled={!saved} onClick={savedRecoveryKey}>
        Continue
      </button>
    </Card>
  );
}
