/**
 * Onboarding for someone who already has a vault elsewhere: join with a one-time code from another device, or
 * restore from the relay with the recovery key. Both make a new local passphrase for this device; the vault key
 * itself arrives encrypted through the relay.
 */
import { useState, type FormEvent } from 'react';
import { useSession } from '../stores/session.dom.ts';
import { TextField } from '../components/fields.dom.tsx';
import { MIN_SCORE, StrengthMeter, useStrength } from '../components/strength.dom.tsx';
import { relayUrlProblem } from './sync.dom.tsx';

function Page({ title, children }: { title: string; children: React.ReactNode }) {
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

function usePassphrasePair() {
  const [pass, setPass] = useState('');
  const [confirm, setConfirm] = useState('');
  const strength = useStrength(pass);
  const problem = () => {
    if (pass !== confirm) return 'The two passphrases are not the same.';
    if (!strength || strength.score < MIN_SCORE) return 'Choose a stronger passphrase: it protects the vault on this device.';
    return null;
  };
  const fields = (
    <>
      <TextField label="New passphrase for this device" type="password" value={pass} onChange={setPass} autoComplete="new-password" required hint="Each device has its own passphrase. It can differ from the one on your other device." />
      <StrengthMeter strength={strength} />
      <TextField label="Confirm passphrase" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" required />
    </>
  );
  const take = () => {
    const p = pass;
    setPass('');
    setConfirm('');
    return p;
  };
  return { fields, problem, take };
}

export function JoinDevice() {
  const [code, setCode] = useState('');
  const [relayUrl, setRelayUrl] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const pp = usePassphrasePair();
  const { busy, error, join, go } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = (code.trim() ? null : 'Enter the code shown on your other device.') ?? relayUrlProblem(relayUrl) ?? pp.problem();
    if (problem) return setLocalError(problem);
    setLocalError(null);
    if (await join(code, relayUrl, pp.take())) setCode('');
  };
  return (
    <Page title="Add this device">
      <p>
        On a device that already has your vault, open <strong>Sync &amp; devices</strong> and choose <strong>Add a device</strong>. Enter the one-time
        code and relay address it shows.
      </p>
      <form onSubmit={submit}>
        <TextField label="One-time code" value={code} onChange={setCode} required autoFocus placeholder="XXXX-XXXX-XXXX-…" />
        <TextField label="Relay address" type="url" value={relayUrl} onChange={setRelayUrl} required placeholder="wss://relay.example.org" />
        {pp.fields}
        {localError || error ? (
          <p className="error" role="alert">
            {localError ?? error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Joining and downloading your vault…' : 'Join'}
        </button>
      </form>
      <button type="button" className="link" onClick={() => go('create')}>
        Back
      </button>
    </Page>
  );
}

export function RestoreFromRelay() {
  const [key, setKey] = useState('');
  const [relayUrl, setRelayUrl] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const pp = usePassphrasePair();
  const { busy, error, restoreFromRelay, go } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = (key.trim() ? null : 'Enter your recovery key.') ?? relayUrlProblem(relayUrl) ?? pp.problem();
    if (problem) return setLocalError(problem);
    setLocalError(null);
    if (await restoreFromRelay(key, relayUrl, pp.take())) setKey('');
  };
  return (
    <Page title="Restore from the relay">
      <p>
        If you no longer have any device with your vault, your recovery key can fetch it from the relay — if restoring was allowed when sync was
        turned on.
      </p>
      <form onSubmit={submit}>
        <TextField label="Recovery key" value={key} onChange={setKey} required autoFocus />
        <TextField label="Relay address" type="url" value={relayUrl} onChange={setRelayUrl} required placeholder="wss://relay.example.org" />
        {pp.fields}
        {localError || error ? (
          <p className="error" role="alert">
            {localError ?? error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Restoring…' : 'Restore'}
        </button>
      </form>
      <button type="button" className="link" onClick={() => go('create')}>
        Back
      </button>
    </Page>
  );
}
