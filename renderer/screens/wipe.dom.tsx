/**
 * Wipe everything: the danger zone in Settings (a typed confirmation that says plainly what goes), and the page
 * shown afterwards — the relay's verified receipt, or, offline, what is still pending — before onboarding.
 */
import { useState, type FormEvent } from 'react';
import { publicCardsText } from '../../shared/wipe-text.std.ts';
import type { WipeReport } from '../../shared/api/sync.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { useSession } from '../stores/session.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { TextField, ErrorLine } from '../components/fields.dom.tsx';
import { formatBytes } from './ledger.dom.tsx';

const WORD = 'WIPE';

export function DangerZone() {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const wiping = useSession((s) => s.wiping);
  const wipe = useSession((s) => s.wipe);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (typed.trim() !== WORD) return setError(`Type ${WORD} in capitals to confirm.`);
    setError(null);
    // Deletions waiting out their undo window are moot; drop them rather than race the wipe.
    await useLibrary.getState().flushDeletes().catch(() => undefined);
    try {
      await wipe();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section className="card danger-zone" aria-labelledby="danger-title">
      <h2 id="danger-title">Danger zone</h2>
      <h3>Wipe everything</h3>
      <ul className="consequences">
        <li>Deletes this vault from this device: every character, scenario, persona, chat, provider and setting.</li>
        <li>If sync is on, the relay deletes everything it stores for your account, and your other devices wipe themselves the next time they connect.</li>
        <li>It cannot be undone. Your passphrase and recovery key will not bring anything back. Export first if you want a copy.</li>
      </ul>
      {!open ? (
        <button type="button" className="danger bordered" onClick={() => setOpen(true)}>
          Wipe everything…
        </button>
      ) : (
        <form onSubmit={submit}>
          <TextField label={`Type ${WORD} to confirm`} value={typed} onChange={setTyped} autoFocus required />
          <ErrorLine text={error} />
          <div className="row">
            <button type="submit" className="danger-solid" disabled={wiping || typed.trim() !== WORD}>
              {wiping ? 'Wiping…' : 'Wipe everything now'}
            </button>
            <button
              type="button"
              onClick={() => {
                setOpen(false);
                setTyped('');
                setError(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

const countLabels: [keyof NonNullable<WipeReport['receipt']>['counts'], string][] = [
  ['updates', 'Changes'],
  ['snapshots', 'Snapshots'],
  ['tombstones', 'Deletion markers'],
  ['devices', 'Devices'],
  ['pairings', 'Unused pairing codes'],
];

export function Wiped() {
  const { wipeReport: report, wiping, init, go } = useSession();
  const [retry, setRetry] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const sendPending = async () => {
    setRetry({ busy: true, error: null });
    try {
      const r = await call('vault.wipe', {});
      useSession.setState({ wipeReport: { ...report!, remote: r.remote, ...(r.receipt ? { receipt: r.receipt } : {}), remoteError: undefined } as WipeReport });
      setRetry({ busy: false, error: null });
    } catch (e) {
      setRetry({ busy: false, error: messageOf(e) });
    }
  };
  return (
    <main className="center-page">
      <section className="card onboarding wiped" aria-labelledby="page-title">
        <p className="brand">Mindstage</p>
        <h1 id="page-title">{report?.remote === 'pending' ? 'Wiped from this device — the relay is still to do' : report || !wiping ? 'Everything was wiped' : 'Wiping…'}</h1>
        {!report && !wiping ? (
          <p role="status">Your vault was wiped from another of your devices. Nothing of it is left on this device.</p>
        ) : null}
        {report ? (
          <>
            {report.remote === 'wiped' && report.receipt ? (
              <div role="status">
                <h2>On the relay</h2>
                <p>
                  The relay at <span className="mono">{report.receipt.relay}</span> deleted everything it stored for your account. Its signed receipt was
                  checked against the relay key pinned when sync was turned on:
                </p>
                <dl className="facts">
                  {countLabels.map(([k, label]) => (
                    <div key={k} className="fact">
                      <dt>{label}</dt>
                      <dd>{report.receipt!.counts[k]}</dd>
                    </div>
                  ))}
                  <div className="fact">
                    <dt>Data deleted</dt>
                    <dd>{formatBytes(report.receipt.counts.bytes)}</dd>
                  </div>
                  <div className="fact">
                    <dt>Receipt</dt>
                    <dd>Signed by the relay and checked</dd>
                  </div>
                  <div className="fact">
                    <dt>Wiped at</dt>
                    <dd>{new Date(report.receipt.wipedAt).toLocaleString()}</dd>
                  </div>
                </dl>
                <p>Your other devices wipe themselves the next time they connect to the relay.</p>
              </div>
            ) : null}
            {report.remote === 'pending' ? (
              <div role="alert">
                <h2>On the relay: still pending</h2>
                <p className="error">
                  The relay could not be reached{report.remoteError ? ` (${report.remoteError})` : ''}, so your encrypted data is still on it and your
                  other devices have not been told.
                </p>
                <p>
                  The signed wipe request is saved in <span className="mono">{report.pendingFile ?? 'pending-wipe.json'}</span> in the data folder (it holds
                  no secret). Send it when the relay is back, with the button below.
                </p>
                {retry.error ? <p className="error">{retry.error}</p> : null}
                <button type="button" onClick={() => void sendPending()} disabled={retry.busy}>
                  {retry.busy ? 'Sending…' : 'Send the wipe to the relay now'}
                </button>
              </div>
            ) : null}
            {report.remote === 'not_enabled' ? <p>Sync was off, so no relay held anything of yours.</p> : null}
            {report.publicCards ? <p className={report.publicCards.failed ? 'error' : undefined}>{publicCardsText(report.publicCards)}</p> : null}
            <h2>On this device</h2>
            <p>
              {report.local === 'wiped' ? `Deleted: ${report.files.map((f) => f.split(/[\\/]/).pop()).join(', ')}. The keys were cleared from memory.` : 'Nothing of the vault is left on this device.'}
            </p>
          </>
        ) : null}
        {/* With the relay part still pending, or after a wipe from another device, init() would bring this page back: start onboarding directly. */}
        <button type="button" className="primary" onClick={() => (report?.remote === 'pending' || !report ? go('age') : void init())} disabled={wiping}>
          Start over on this device
        </button>
      </section>
    </main>
  );
}
