/**
 * Sync & devices: turn on end-to-end-encrypted sync through a relay, see what is waiting and whether this device is
 * connected, sync now or stay connected, list and remove devices, and make a one-time code to add a device.
 * The relay only ever sees ciphertext (docs/sync-client.md).
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { DeviceView, SyncStatusView } from '../../shared/api/sync.std.ts';
import { call, codeOf, messageOf } from '../lib/api.dom.ts';
import { problemText } from '../lib/sync-problem.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useSync } from '../stores/sync.dom.ts';
import { TextField, Outcome, ErrorLine } from '../components/fields.dom.tsx';
import { confirmDialog } from '../components/dialog.dom.tsx';

/** What a device is called in the list: its name, or a plain word when it has none (never its id). */
const deviceLabel = (d: DeviceView) => d.name || 'Unnamed device';

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A relay URL problem the UI can name before asking the core (which has the final word). */
export function relayUrlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return 'Enter the relay’s address, for example wss://relay.example.org.';
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    return 'That is not a relay address. It looks like wss://relay.example.org (or ws://127.0.0.1:8787 for one on this computer).';
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return `A relay address starts with wss:// (or ws:// for one on this computer or network), not ${parsed.protocol}//.`;
  return null;
}

function stateText(s: SyncStatusView): { label: string; tone: 'ok' | 'warn' | 'muted' } {
  const waiting = s.outbox ? `; ${s.outbox} change${s.outbox === 1 ? '' : 's'} waiting to go` : '';
  switch (s.state) {
    case 'watching':
      return s.outbox ? { label: 'Connected — sending changes…', tone: 'muted' } : { label: 'Connected — up to date', tone: 'ok' };
    case 'syncing':
      return { label: 'Syncing…', tone: 'muted' };
    case 'idle':
      return { label: s.lastError ? 'Not connected' : 'Paused — turn on automatic sync, or press “Sync now”', tone: s.lastError ? 'warn' : 'muted' };
    case 'offline':
      return { label: `Offline${waiting}${s.retryInMs !== undefined ? ` — trying again in ${Math.max(1, Math.round(s.retryInMs / 1000))} s` : ''}`, tone: 'warn' };
    case 'wiped':
      return { label: 'Wiped', tone: 'warn' };
    case 'removed':
      return { label: 'Removed from your account', tone: 'warn' };
    case 'closed':
    case 'off':
      return { label: 'Off', tone: 'muted' };
  }
}

export function SyncScreen() {
  const status = useSync((s) => s.status);
  const [error, setError] = useState<string | null>(null);
  // While "Enable sync" runs, status events already say "enabled": keep the form (and its outcome) on screen.
  const [enabling, setEnabling] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    setError((await useSync.getState().refresh()) ? null : 'Could not read the sync status. Reload the window to try again.');
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <div className="page sync-page">
      <header className="page-head">
        <h1>Sync &amp; devices</h1>
      </header>
      <ErrorLine text={error} />
      {status === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : status.enabled && !enabling ? (
        <>
          <ErrorLine text={notice} />
          <StatusCard status={status} reload={load} />
          <Devices />
          <AddDevice relayUrl={status.relayUrl ?? ''} />
        </>
      ) : (
        <EnableSync
          onStart={() => {
            setEnabling(true);
            useSync.setState({ enabling: true });
            setNotice(null);
          }}
          onDone={async (problem) => {
            useSync.setState({ enabling: false });
            await load();
            setNotice(problem);
            setEnabling(false);
          }}
          pendingWipe={status.pendingWipe?.relay}
        />
      )}
    </div>
  );
}

function EnableSync({ onStart, onDone, pendingWipe }: { onStart(): void; onDone(problem: string | null): Promise<void>; pendingWipe?: string | undefined }) {
  const [relayUrl, setRelayUrl] = useState('');
  const [withRecovery, setWithRecovery] = useState(false);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = relayUrlProblem(relayUrl);
    if (problem) return setError(problem);
    if (withRecovery && !recoveryKey.trim()) return setError('Enter your recovery key, or untick “Also allow restoring with my recovery key”.');
    setBusy(true);
    setError(null);
    onStart();
    try {
      await call('sync.enable', { relayUrl: relayUrl.trim(), ...(withRecovery ? { recoveryKey: recoveryKey.trim() } : {}) });
      setRecoveryKey('');
      await onDone(null);
    } catch (err) {
      const code = codeOf(err);
      const text =
        code === 'network'
          ? `${messageOf(err)} Check the address and that the relay is running, then try again.`
          : code === 'wrong_secret'
            ? 'That recovery key does not open this vault. Check each group of characters.'
            : messageOf(err);
      setError(text);
      // Sync itself may be on even though a later step (the recovery key) failed: the status screen then says so.
      await onDone(`Sync is on, but: ${text}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="enable-sync">
      <h2 id="enable-sync">Sync is off</h2>
      <p>
        Sync keeps your characters, scenarios and chats the same on all your devices. Everything is encrypted on this device before it leaves;
        the relay stores only ciphertext it cannot read.
      </p>
      <p className="muted small">
        Your vault is already on another device? Turning sync on here would start a separate account. Instead, use <strong>Add a device</strong> on that
        device, and open this one with <strong>I already use Mindstage on another device</strong> (a fresh install, or after wiping this vault).
      </p>
      {pendingWipe ? <p className="error">A wipe of {pendingWipe} is still waiting to reach that relay.</p> : null}
      <TextField label="Relay address" type="url" value={relayUrl} onChange={setRelayUrl} placeholder="wss://relay.example.org" required hint="The address of a Mindstage relay you run or trust to store your encrypted data." />
      <div className="check">
        <input id="with-recovery" type="checkbox" checked={withRecovery} onChange={(e) => setWithRecovery(e.target.checked)} />
        <label htmlFor="with-recovery">Also allow restoring from the relay with my recovery key (if every device is lost)</label>
      </div>
      {withRecovery ? <TextField label="Recovery key" value={recoveryKey} onChange={setRecoveryKey} hint="The key you saved when you created the vault. It is checked, used once and not stored." /> : null}
      <ErrorLine text={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Connecting…' : 'Enable sync'}
      </button>
    </form>
  );
}

function StatusCard({ status, reload }: { status: SyncStatusView; reload(): Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const st = stateText(status);
  const paused = useSync((s) => s.paused);
  const automatic = !paused;
  const entries = useLibrary((s) => s.entries);
  const titles = useMemo(() => new Map(entries.map((e) => [e.id, e.title])), [entries]);
  const syncNow = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await call('sync.now', {});
      const parts = [`sent ${r.up}`, `received ${r.down}`];
      if (r.pending) parts.push(`${r.pending} still arriving`);
      if (r.quarantined) parts.push(`${r.quarantined} refused`);
      setMessage({ ok: r.problems.length === 0, text: `Synced: ${parts.join(', ')}.` });
      await reload();
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
      await reload();
    } finally {
      setBusy(false);
    }
  };
  const toggleAutomatic = async () => {
    try {
      await useSync.getState().setAutomatic(!automatic);
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  return (
    <section className="card" aria-labelledby="sync-status">
      <h2 id="sync-status">Status</h2>
      <dl className="facts">
        <dt>Connection</dt>
        <dd className={st.tone === 'ok' ? 'ok' : st.tone === 'warn' ? 'error' : undefined} data-testid="sync-state">
          {st.label}
        </dd>
        <dt>Relay</dt>
        <dd className="mono">{status.relayUrl}</dd>
        <dt>Last sync</dt>
        <dd>{status.lastSyncAt ? when(status.lastSyncAt) : 'Not yet'}</dd>
        <dt>Waiting to upload</dt>
        <dd data-testid="sync-outbox">{status.outbox}</dd>
        {status.pending ? (
          <>
            <dt>Changes still arriving</dt>
            <dd>{status.pending}</dd>
          </>
        ) : null}
        {status.quarantined ? (
          <>
            <dt>Refused (not applied)</dt>
            <dd className="error">{status.quarantined}</dd>
          </>
        ) : null}
        <dt>Restore with recovery key</dt>
        <dd>{status.recoveryReady ? 'Set up' : 'Not set up'}</dd>
      </dl>
      {status.withheld ? (
        <p className="error" role="alert" data-testid="sync-withheld">
          {status.withheld}
        </p>
      ) : null}
      {status.lastError ? (
        <p className="error" role="alert">
          {status.lastError.message}
        </p>
      ) : null}
      {status.problems.length ? (
        <ul className="problems">
          {status.problems.map((p, i) => (
            <li key={i} className="error">
              {problemText(p, titles)}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="row">
        <button type="button" className="primary" onClick={() => void syncNow()} disabled={busy}>
          {busy ? 'Syncing…' : 'Sync now'}
        </button>
        <button type="button" className="toggle bordered" aria-pressed={automatic} onClick={() => void toggleAutomatic()}>
          Sync automatically
          <span className="switch" aria-hidden="true" />
        </button>
      </div>
      <Outcome message={message} />
    </section>
  );
}

function Devices() {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [newRecoveryKey, setNewRecoveryKey] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setDevices(await call('devices.list', {}));
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => void load(), [load]);
  const remove = async (d: DeviceView) => {
    const ok = await confirmDialog({
      title: `Remove ${deviceLabel(d)}?`,
      confirm: 'Remove device',
      danger: true,
      body: `From now on it is refused everything: it cannot sync, add devices, remove devices or wipe your account. New keys are made that it never receives: your other devices each switch to a new key for their own data, and new content is locked with a new key too, so nothing written after this can be read with what it holds — not even from a copy of another device's files. What it already has stays on it: if it is lost or someone else has it, treat everything it held until now as theirs.`,
    });
    if (!ok) return;
    try {
      const r = await call('devices.remove', { deviceId: d.deviceId });
      setNewRecoveryKey(r.recoveryKey ?? null);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      <p className="muted small">
        Removing a device shuts it out for good and replaces every key it knew. It keeps only what it already had, and can neither read nor change
        anything from then on.
      </p>
      <ErrorLine text={error} />
      {newRecoveryKey ? (
        <div className="banner" role="status" data-testid="new-recovery-key">
          <p>
            <strong>Your recovery key has changed.</strong> Write down the new one now and keep it safe; the old one no longer opens what is written
            from now on. It is shown only once.
          </p>
          <output className="recovery-key" aria-label="New recovery key">
            {newRecoveryKey}
          </output>
          <button type="button" onClick={() => setNewRecoveryKey(null)}>
            I have written it down
          </button>
        </div>
      ) : null}
      {devices === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="device-list">
          {devices.map((d) => (
            <DeviceRow key={d.deviceId} device={d} onRemove={() => void remove(d)} onRenamed={() => void load()} onError={setError} />
          ))}
        </ul>
      )}
    </section>
  );
}

function minutesLeft(ms: number): string {
  if (ms < 60_000) return 'less than a minute';
  const m = Math.round(ms / 60_000);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

function AddDevice({ relayUrl }: { relayUrl: string }) {
  const [pairing, setPairing] = useState<{ code: string; expiresAt: number; relayUrl: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!pairing) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [pairing]);
  const create = async () => {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      setPairing(await call('pair.create', {}));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!pairing) return;
    try {
      await navigator.clipboard.writeText(pairing.code);
      setCopied(true);
    } catch {
      setError('Could not copy: select the code and copy it by hand.');
    }
  };
  const left = pairing ? pairing.expiresAt - now : 0;
  const expired = pairing !== null && left <= 0;
  return (
    <section className="card" aria-labelledby="add-device">
      <h2 id="add-device">Add a device</h2>
      <p>
        On the new device, install Mindstage and choose <strong>I already use Mindstage on another device</strong>. It asks for a one-time code
        and this relay’s address.
      </p>
      {pairing && !expired ? (
        <div className="pairing">
          <p className="small muted" id="pair-code-label">
            One-time code — keep it as secret as your passphrase until it is used
          </p>
          <div className="row">
            <output className="pair-code" aria-labelledby="pair-code-label" data-testid="pair-code">
              {pairing.code}
            </output>
            <button type="button" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy code'}
            </button>
          </div>
          <p>
            Relay address: <span className="mono">{pairing.relayUrl || relayUrl}</span>
          </p>
          <p className="small">
            Expires at {new Date(pairing.expiresAt).toLocaleTimeString(undefined, { timeStyle: 'short' })} (in {minutesLeft(left)}). It works once.
          </p>
        </div>
      ) : null}
      {expired ? <p className="error">That code has expired. Make a new one.</p> : null}
      <ErrorLine text={error} />
      <button type="button" onClick={() => void create()} disabled={busy}>
        {busy ? 'Making a code…' : pairing && !expired ? 'Make a new code' : 'Add a device'}
      </button>
    </section>
  );
}

/** One device: its name (renamed in place: Enter saves, Escape cancels), when it was added, and Remove. */
function DeviceRow({ device: d, onRemove, onRenamed, onError }: { device: DeviceView; onRemove(): void; onRenamed(): void; onError(message: string): void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const inputId = `device-name-${d.deviceId}`;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const name = (draft ?? '').trim();
    setDraft(null);
    if (!name || name === d.name) return;
    try {
      await call('devices.rename', { deviceId: d.deviceId, name });
      onRenamed();
    } catch (err) {
      onError(messageOf(err));
    }
  };
  return (
    <li className="device">
      <div className="device-text">
        {draft === null ? (
          <span>
            <strong>{deviceLabel(d)}</strong>
            {d.thisDevice ? <span className="badge">This device</span> : null}
            {d.removedAt ? <span className="badge removed">Removed</span> : null}
          </span>
        ) : (
          <form className="rename" onSubmit={(e) => void save(e)}>
            <label htmlFor={inputId} className="visually-hidden">
              Name of this device
            </label>
            <input id={inputId} value={draft} maxLength={60} autoFocus onChange={(e) => setDraft(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setDraft(null)} />
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </form>
        )}
        <span className="muted small">
          Added {when(d.enrolledAt)}
          {d.removedAt ? ` · removed ${when(d.removedAt)}` : ''}
        </span>
      </div>
      {draft === null && !d.removedAt ? (
        <button type="button" className="ghost" onClick={() => setDraft(d.name)} aria-label={`Rename ${deviceLabel(d)}`}>
          Rename
        </button>
      ) : null}
      {!d.thisDevice && !d.removedAt ? (
        <button type="button" className="danger" onClick={onRemove} aria-label={`Remove ${deviceLabel(d)}`}>
          Remove
        </button>
      ) : null}
    </li>
  );
}
