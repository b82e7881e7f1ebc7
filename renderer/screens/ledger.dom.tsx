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

const purposes: Record<LedgerEntryView['purpose'], string> = { chat: 'Chat reply', image: 'Portrait', test: 'Connection test', gallery: 'Public gallery', summary: 'Memory summary' };

export function Ledger() {
  const [entries, setEntries] = useState<LedgerEntryView[] | null>(null);
  // The ledger records hosts; people know their providers by name. Hosts no provider uses any more stay as hosts.
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    void call('provider.list', {}).then(
      (list) => setNames(new Map(list.flatMap((p) => { try { return [[new URL(p.baseUrl).host, p.name] as const]; } catch { return []; } }))),
      () => undefined,
    );
  }, []);
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
                <th scope="col">Provider</th>
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
                    <td data-label="Time">{new Date(e.at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</td>
                    <td data-label="Purpose">{purposes[e.purpose] ?? e.purpose}</td>
                    <td data-label="Provider">
                      {names.get(e.host) ? (
                        <span>
                          {names.get(e.host)} <span className="muted small mono">{e.host}</span>
                        </span>
                      ) : (
                        <span className="mono">{e.host}</span>
                      )}
                    </td>
                    <td className="num" data-label="Sent">{formatBytes(e.bytesOut)}</td>
                    <td className="num" data-label="Received">{formatBytes(e.bytesIn)}</td>
                    <td className="num" data-label="Status">{e.status ?? '—'}</td>
                    <td data-label="Outcome">{e.outcome}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
