/** Unlock with the passphrase, or recover with the recovery key and set a new passphrase. */
import { useState, type FormEvent } from 'react';
import { useSession } from '../stores/session.dom.ts';
import { TextField, ErrorLine } from '../components/fields.dom.tsx';
import { MIN_SCORE, StrengthMeter, useStrength } from '../components/strength.dom.tsx';

export function Unlock() {
  const [pass, setPass] = useState('');
  const { busy, error, unlock, go, lockReason } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const submitted = pass;
    setPass('');
    await unlock(submitted);
  };
  return (
    <main className="center-page">
      <section className="card onboarding" aria-labelledby="page-title">
        <p className="brand">Mindstage</p>
        <h1 id="page-title">Unlock your vault</h1>
        {lockReason ? <p className="muted">{lockReason}</p> : null}
        <form onSubmit={submit}>
          <TextField label="Passphrase" type="password" value={pass} onChange={setPass} autoComplete="current-password" required autoFocus />
          <ErrorLine text={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </form>
        <button type="button" className="link" onClick={() => go('recover')}>
          Forgot your passphrase?
        </button>
      </section>
    </main>
  );
}

export function Recover() {
  const [key, setKey] = useState('');
  const [pass, setPass] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const strength = useStrength(pass);
  const { busy, error, recover, go } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (pass !== confirm) return setLocalError('The two passphrases are not the same.');
    if (!strength || strength.score < MIN_SCORE) return setLocalError('Choose a stronger passphrase.');
    setLocalError(null);
    const [k, p] = [key.trim(), pass];
    setPass('');
    setConfirm('');
    if (await recover(k, p)) setKey('');
  };
  return (
    <main className="center-page">
      <section className="card onboarding" aria-labelledby="page-title">
        <p className="brand">Mindstage</p>
        <h1 id="page-title">Recover your vault</h1>
        <p>Enter the recovery key you saved when you created the vault, then choose a new passphrase.</p>
        <form onSubmit={submit}>
          <TextField label="Recovery key" value={key} onChange={setKey} required autoFocus />
          <TextField label="New passphrase" type="password" value={pass} onChange={setPass} autoComplete="new-password" required />
          <StrengthMeter strength={strength} />
          <TextField label="Confirm new passphrase" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" required />
          <ErrorLine text={localError ?? error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Recovering…' : 'Recover and unlock'}
          </button>
        </form>
        <button type="button" className="link" onClick={() => go('unlock')}>
          Back to unlock
        </button>
      </section>
    </main>
  );
}
