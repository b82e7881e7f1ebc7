/**
 * The privacy center (issue 14): who receives what (from the live configuration, with the ledger's last 30 days),
 * what is held here and on the relay (the relay's own count), and the optional sharings, each off until allowed.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import type { HeldView, ProcessorView } from '../../shared/api/privacy.std.ts';
import type { RecordKind } from '../../shared/domain.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { ErrorLine } from '../components/fields.dom.tsx';
import { useConsents } from '../stores/consent.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { formatBytes } from './ledger.dom.tsx';
import './privacy.css';

const when = (at: number) => new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

const kindLabels: [RecordKind, string, string][] = [
  ['character', 'character', 'characters'],
  ['scenario', 'scenario', 'scenarios'],
  ['persona', 'persona', 'personas'],
  ['conversation', 'conversation', 'conversations'],
  ['lorebook', 'lorebook', 'lorebooks'],
];

export function Privacy() {
  const [parties, setParties] = useState<ProcessorView[] | null>(null);
  const [held, setHeld] = useState<HeldView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const [p, h] = await Promise.all([call('privacy.processors', {}), call('privacy.held', {})]);
      setParties(p);
      setHeld(h);
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void load();
    void useConsents.getState().load().catch(() => undefined);
  }, [load]);
  return (
    <div className="page privacy-page">
      <header className="page-head">
        <h1>Privacy</h1>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </header>
      <p className="lede">
        Mindstage sends no telemetry, analytics or crash reports. This page lists everyone
        who receives anything from this device, what is kept where, and the sharing you can allow.
      </p>
      <ErrorLine text={error} />
      <Receivers parties={parties} />
      <Held held={held} />
      <Consents />
    </div>
  );
}

function Receivers({ parties }: { parties: ProcessorView[] | null }) {
  const navigate = useNav((s) => s.navigate);
  return (
    <section className="card" aria-labelledby="privacy-who">
      <div className="section-head">
        <h2 id="privacy-who">Who receives what</h2>
        <button type="button" className="ghost" onClick={() => navigate({ name: 'ledger' })}>
          Every request
        </button>
      </div>
      {parties === null ? (
        <p className="muted">Loading…</p>
      ) : parties.length === 0 ? (
        <p className="empty">Nothing leaves this device: no AI provider is set up and sync is off.</p>
      ) : (
        <div className="table-wrap">
          <table className="ledger privacy-table">
            <caption className="visually-hidden">Everyone who receives anything from this device, and the last 30 days</caption>
            <thead>
              <tr>
                <th scope="col">Who</th>
                <th scope="col">What they receive</th>
                <th scope="col">Last 30 days</th>
              </tr>
            </thead>
            <tbody>
              {parties.map((p) => (
                <tr key={`${p.party}-${p.host}`}>
                  <td data-label="Who">
                    <div>
                      {p.party}
                      <span className="muted small mono block">{p.host}</span>
                    </div>
                  </td>
                  <td data-label="What they receive">
                    <ul className="plain">
                      {p.receives.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  </td>
                  <td data-label="Last 30 days">
                    <div>
                      {p.requests30d === null ? null : <span className="block">{plural(p.requests30d, 'request')}</span>}
                      <span className="muted small">{p.lastUsedAt === null ? 'Never used' : `${p.requests30d === null ? 'Last synced' : 'Last'} ${when(p.lastUsedAt)}`}</span>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Held({ held }: { held: HeldView | null }) {
  return (
    <section className="card" aria-labelledby="privacy-held">
      <h2 id="privacy-held">What is held</h2>
      {held === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="held-grid">
          <div>
            <h3>On this device, encrypted</h3>
            <dl className="facts">
              {kindLabels.map(([k, one, many]) => (
                <div className="fact" key={k}>
                  <dt>{many[0]!.toUpperCase() + many.slice(1)}</dt>
                  <dd>{plural(held.local.records[k], one, many)}</dd>
                </div>
              ))}
              <div className="fact">
                <dt>Messages</dt>
                <dd>{plural(held.local.messages, 'message')}</dd>
              </div>
              <div className="fact">
                <dt>Images</dt>
                <dd>
                  {plural(held.local.assets, 'image')}, {formatBytes(held.local.assetBytes)}
                </dd>
              </div>
              <div className="fact">
                <dt>Everything else</dt>
                <dd>{formatBytes(held.local.documentBytes)}</dd>
              </div>
            </dl>
          </div>
          <div>
            <h3>On the sync relay</h3>
            {held.relay === null ? (
              <p className="muted">Sync is off: nothing is kept on a relay.</p>
            ) : 'error' in held.relay ? (
              <p className="muted">The relay could not be asked just now ({held.relay.error}). Try Refresh when this device is online.</p>
            ) : (
              <>
                <p className="muted small">As the relay counts it for your account. It holds only encrypted data it cannot read.</p>
                <dl className="facts">
                  <div className="fact">
                    <dt>Encrypted items</dt>
                    <dd>
                      {plural(held.relay.updates + held.relay.snapshots, 'item')}, {formatBytes(held.relay.bytes)}
                    </dd>
                  </div>
                  <div className="fact">
                    <dt>Deletion notices</dt>
                    <dd>{plural(held.relay.tombstones, 'notice')}</dd>
                  </div>
                  <div className="fact">
                    <dt>Devices</dt>
                    <dd>{plural(held.relay.devices, 'device')}</dd>
                  </div>
                </dl>
              </>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function Consents() {
  const list = useConsents((s) => s.list);
  const toast = useLibrary((s) => s.toast);
  return (
    <section className="card" aria-labelledby="privacy-consent">
      <h2 id="privacy-consent">Sharing you allow</h2>
      <p className="muted">
        Nothing here is on unless you turn it on. Each change counts from the next request, and follows you to your other devices.
      </p>
      <ul className="plain consents">
        {list.map((c) => (
          <ConsentRow
            key={c.name}
            title={c.title}
            does={c.does}
            granted={c.granted}
            note={c.changedAt === null ? 'Never allowed.' : `${c.granted ? 'Allowed' : 'Turned off'} ${when(c.changedAt)}${c.device ? ` on ${c.device}` : ''}.`}
            onChange={(v) => void useConsents.getState().set(c.name, v).then(() => toast(v ? `${c.title}: allowed.` : `${c.title}: off.`), (e) => toast(messageOf(e), 'error'))}
          />
        ))}
      </ul>
    </section>
  );
}

function ConsentRow(p: { title: string; does: string; granted: boolean; note: string; onChange(v: boolean): void }) {
  const id = useId();
  return (
    <li className="consent">
      <div className="check">
        <input id={id} type="checkbox" role="switch" checked={p.granted} aria-describedby={`${id}-does`} onChange={(e) => p.onChange(e.target.checked)} />
        <label htmlFor={id}>{p.title}</label>
      </div>
      <p id={`${id}-does`} className="small">
        {p.does}
      </p>
      <p className="muted small">{p.note}</p>
    </li>
  );
}
