/** The privacy ledger: every request Mindstage sent to an AI provider — when, why, where, how much — never the content. */
import { useCallback, useEffect, useState } from 'react';
import type { LedgerEntryView } from '../../shared/api/chat.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { ErrorLine } from '../components/fields.dom.tsx';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const purposes: Record<LedgerEntryView['purpose'], string> = { chat: 'Chat reply', image: 'Portrait', test: 'Connection test' };

export function Ledger() {
  const [entries, setEntries] = useState<LedgerEntryView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setEntries(await call('ledger.list', { limit: 1000 }));
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => void load(), [load]);
  return (
    <div className="page ledger-page">
      <header className="page-head">
        <h1>Privacy ledger</h1>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </header>
      <p className="lede">
        Every request Mindstage sends to an AI provider is listed here: when, why, to which host, how many bytes went out and came back, and how it
        ended. What you wrote and what came back — the content — is never recorded.
      </p>
      <ErrorLine text={error} />
      {entries === null ? (
        <p className="muted">Loading…</p>
      ) : entries.length === 0 ? (
        <p className="empty">No requests yet. Nothing has left this device for an AI provider.</p>
      ) : (
        <div className="table-wrap">
          <table className="ledger">
            <caption className="visually-hidden">Requests sent to AI providers, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Purpose</th>
                <th scope="col">Host</th>
                <th scope="col" className="num">
                  Sent
                </th>
                <th scope="col" className="num">
                  Received
                </th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {[...entries]
                .sort((a, b) => b.at - a.at)
                .map((e, i) => (
                  <tr key={`${e.at}-${i}`}>
                    <td>{new Date(e.at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</td>
                    <td>{purposes[e.purpose] ?? e.purpose}</td>
                    <td className="mono">{e.host}</td>
                    <td className="num">{formatBytes(e.bytesOut)}</td>
                    <td className="num">{formatBytes(e.bytesIn)}</td>
                    <td className="num">{e.status ?? '—'}</td>
                    <td>{e.outcome}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
