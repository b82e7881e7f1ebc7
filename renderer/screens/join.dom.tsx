/**
 * Onboarding for someone who already has a vault elsewhere: join with a one-time code from another device, or
 * restore from the relay with the recovery key. Both make a new local passphrase for this device; the vault key
 * itself arrives encrypted through the relay.
 */
import { useState, type FormEvent } from 'react';
import { useSession } from '../stores/session.dom.ts';
import { TextField, ErrorLine } from '../components/fields.dom.tsx';
import { MIN_SCORE, StrengthMeter, strengthOf, useStrength } from '../components/strength.dom.tsx';
import { Card } from './onboarding.dom.tsx';
import { relayUrlProblem } from './sync.dom.tsx';

function usePassphrasePair() {
  const [pass, setPass] = useState('');
  const [confirm, setConfirm] = useState('');
  const strength = useStrength(pass);
  const problem = async () => {
    if (pass !== confirm) return 'The two passphrases are not the same.';
    if ((await strengthOf(pass)).score < MIN_SCORE) return 'Choose a stronger passphrase: it protects the vault on this device.';
    return null;
  };
  const fields = (
    <>
      <TextField label="New passphrase for this device" type="password" value={pass} onChange={setPass} autoComplete="new-password" required hint="Each device has its own passphrase. It can differ from the one on your other device." />
      <StrengthMeter strength={strength} />
      <TextField label="Confirm passphrase" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" required />
    </>
  );
  /** Cleared once the vault is open; after a refusal (a mistyped code) they stay, so nothing has to be typed twice. */
  const clear = () => {
    setPass('');
    setConfirm('');
  };
  return { fields, problem, pass, clear };
}

/** The one form both ways share: a secret (code or recovery key), the relay, and this device's new passphrase. */
function RelayVaultForm(props: {
  title: string;
  intro: React.ReactNode;
  secretLabel: string;
  secretPlaceholder?: string;
  secretMissing: string;
  submitLabel: string;
  busyLabel: string;
  action: (secret: string, relayUrl: string, passphrase: string) => Promise<boolean>;
}) {
  const [secret, setSecret] = useState('');
  const [relayUrl, setRelayUrl] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const pp = usePassphrasePair();
  const { busy, error, go } = useSession();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = (secret.trim() ? null : props.secretMissing) ?? relayUrlProblem(relayUrl) ?? (await pp.problem());
    if (problem) return setLocalError(problem);
    setLocalError(null);
    if (await props.action(secret, relayUrl, pp.pass)) {
      setSecret('');
      pp.clear();
    }
  };
  return (
    <Card title={props.title}>
      <p>{props.intro}</p>
      <form onSubmit={submit}>
        <TextField label={props.secretLabel} value={secret} onChange={setSecret} required autoFocus placeholder={props.secretPlaceholder} />
        <TextField label="Relay address" type="url" value={relayUrl} onChange={setRelayUrl} required placeholder="wss://relay.example.org" />
        {pp.fields}
        <ErrorLine text={localError ?? error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? props.busyLabel : props.submitLabel}
        </button>
      </form>
      <button type="button" className="link" onClick={() => go('create')}>
        Back
      </button>
    </Card>
  );
}

export function JoinDevice() {
  const join = useSession((s) => s.join);
  return (
    <RelayVaultForm
      title="Add this device"
      intro={
        <>
          On a device that already has your vault, open <strong>Sync &amp; devices</strong> and choose <strong>Add a device</strong>. Enter the one-time
          code and relay address it shows.
        </>
      }
      secretLabel="One-time code"
      secretPlaceholder="XXXX-XXXX-XXXX-…"
      secretMissing="Enter the code shown on your other device."
      submitLabel="Join"
      busyLabel="Joining and downloading your vault…"
      action={join}
    />
  );
}

export function RestoreFromRelay() {
  const restoreFromRelay = useSession((s) => s.restoreFromRelay);
  return (
    <RelayVaultForm
      title="Restore from the relay"
      intro="If you no longer have any device with your vault, your recovery key can fetch it from the relay — if restoring was allowed when sync was turned on."
      secretLabel="Recovery key"
      secretMissing="Enter your recovery key."
      submitLabel="Restore"
      busyLabel="Restoring…"
      action={restoreFromRelay}
    />
  );
}
