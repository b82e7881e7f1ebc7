/**
 * Sync at a glance, in the corner of every screen once sync is on: synced, syncing, offline with what is waiting,
 * or a problem. It opens the Sync screen, which has the details. Also the page a removed device gets instead of
 * the app: one clear way on, "Start over on this device".
 */
import { useEffect, useState } from 'react';
import { call, messageOf } from '../lib/api.dom.ts';

import { useSession } from '../stores/session.dom.ts';
import { summarise, useSync } from '../stores/sync.dom.ts';
import { confirmDialog, DialogHost } from './dialog.dom.tsx';

export function SyncCorner({ onOpen }: { onOpen(): void }) {
  const status = useSync((s) => s.status);
  useEffect(() => {
    void useSync.getState().refresh();
  }, []);
  if (!status?.enabled) return null;
  const { label, tone } = summarise(status);
  return (
    <button type="button" className="sync-corner ghost" data-tone={tone} data-testid="sync-corner" aria-label={`Sync status: ${label}`} title="Open Sync & devices" onClick={onOpen}>
      <span className="dot" aria-hidden="true" />
      <span role="status">{label}</span>
    </button>
  );
}

/** Shown instead of the app once another device removed this one from the account. */
export function RemovedDevice() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const startOver = async () => {
    const ok = await confirmDialog({
      title: 'Start over on this device?',
      body: 'This deletes the vault from this device: its characters, chats and settings. Your other devices keep everything. Afterwards you can create a new vault here, or add this device again from one of your others.',
      confirm: 'Delete and start over',
      danger: true,
    });
    if (!ok) return;
    setBusy(true);
    try {
      await call('vault.wipe', { localOnly: true });
      await useSession.getState().init();
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  return (
    <main className="center-page">
      <section className="card onboarding" aria-labelledby="removed-title" data-testid="device-removed">
        <p className="brand">Mindstage</p>
        <h1 id="removed-title">This device was removed from your account</h1>
        <p>Another of your devices removed this one. It no longer syncs, and nothing written on your other devices from now on can reach it.</p>
        <p>What it held until then is still here. To use Mindstage on this device again, start over: add it again from one of your other devices, or begin a new vault.</p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="row">
          <button type="button" className="primary" onClick={() => void startOver()} disabled={busy}>
            {busy ? 'Deleting…' : 'Start over on this device'}
          </button>
          <button type="button" onClick={() => void useSession.getState().lock()}>
            Lock vault
          </button>
        </div>
      </section>
      <DialogHost />
    </main>
  );
}

/** The app once unlocked — unless this device was removed, which leaves nothing else to do here. */
export function useRemoved(): boolean {
  const status = useSync((s) => s.status);
  return !!status?.enabled && status.state === 'removed';
}

