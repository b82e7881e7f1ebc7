/**
 * The public gallery: browse and search what others published on a relay, see each card's portrait, import one
 * (through the same card import as a file). 18+ entries stay hidden until the age gate in Settings is on.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { GalleryItemView } from '../../shared/api/gallery.std.ts';
import { CheckField, ErrorLine, TextField } from '../components/fields.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { usePrefs } from '../stores/prefs.dom.ts';
import { useSync } from '../stores/sync.dom.ts';

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

type CardKind = 'character' | 'scenario';
const kindWords: Record<CardKind, string> = { character: 'Character', scenario: 'Scenario' };

/**
 * A card's portrait, fetched through the core (the page itself may not reach the network). The same answer says
 * whether the card is a character or a scenario (`onKind`): the relay's listing does not.
 */
function Thumb({ id, relayUrl, name, onKind }: { id: string; relayUrl: string | undefined; name: string; onKind: (kind: CardKind | null) => void }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    void call('gallery.card', { galleryId: id, ...(relayUrl ? { relayUrl } : {}) }).then(
      (c) => {
        if (!live) return;
        url = URL.createObjectURL(new Blob([Uint8Array.from(atob(c.bytesBase64), (ch) => ch.charCodeAt(0))], { type: c.mime }));
        setSrc(url);
        onKind(c.kind);
      },
      () => undefined,
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id, relayUrl, onKind]);
  return <div className="gallery-thumb">{src ? <img src={src} alt={`Portrait of ${name}`} /> : <span aria-hidden="true">{name.slice(0, 1)}</span>}</div>;
}

/** One entry of the listing: portrait, what it is (character or scenario, in words), who made it, and Import. */
function GalleryCard({ item, relayUrl, onImport }: { item: GalleryItemView; relayUrl: string | undefined; onImport: () => void }) {
  const [kind, setKind] = useState<CardKind | null>(null);
  const byline = [kind ? kindWords[kind] : null, item.creator ? `by ${item.creator}` : null].filter(Boolean).join(' · ');
  return (
    <li className="gallery-item">
      <Thumb id={item.id} relayUrl={relayUrl} name={item.name} onKind={setKind} />
      <div className="gallery-text">
        <h2>
          {item.name}
          {item.mature ? <span className="badge">18+</span> : null}
        </h2>
        {byline ? <p className="muted small">{byline}</p> : null}
        {item.description ? <p className="gallery-desc">{item.description}</p> : null}
        {item.tags.length ? (
          <ul className="tags" aria-label="Tags">
            {item.tags.slice(0, 6).map((t) => (
              <li key={t} className="tag">
                {t}
              </li>
            ))}
          </ul>
        ) : null}
        <p className="muted small">Updated {day.format(item.updatedAt)}</p>
        <button type="button" onClick={onImport} aria-label={`Import ${item.name}`}>
          Import
        </button>
      </div>
    </li>
  );
}

export function GalleryScreen() {
  const syncRelay = useSync((s) => s.status?.relayUrl);
  const { toast, load } = useLibrary();
  const navigate = useNav((s) => s.navigate);
  const [relay, setRelay] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ relay: string; items: GalleryItemView[]; more: boolean; matureHidden: boolean; query: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const relayUrl = relay.trim() || undefined;

  const search = useCallback(
    async (query: string) => {
      if (!relayUrl && !syncRelay) return;
      setBusy(true);
      setError(null);
      try {
        const r = await call('gallery.list', { ...(query ? { text: query } : {}), ...(relayUrl ? { relayUrl } : {}) });
        setResult({ ...r, query });
      } catch (e) {
        setError(messageOf(e));
        setResult(null);
      } finally {
        setBusy(false);
      }
    },
    [relayUrl, syncRelay],
  );
  useEffect(() => {
    if (syncRelay) void search('');
  }, [syncRelay, search]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void search(text.trim());
  };
  const importOne = async (item: GalleryItemView) => {
    try {
      const r = await call('gallery.import', { galleryId: item.id, ...(relayUrl ? { relayUrl } : {}) });
      await load();
      toast(`Imported ${r.name}.`, 'info');
      navigate({ name: r.kind, id: r.id });
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  return (
    <div className="page gallery">
      <header className="page-head">
        <h1>Public gallery</h1>
      </header>
      <p className="muted">Characters and scenarios people chose to share. Importing one makes a copy in your vault, checked like any card file.</p>
      <form className="gallery-search" onSubmit={submit} role="search">
        {syncRelay ? null : <TextField label="Relay address" value={relay} onChange={setRelay} placeholder="wss://relay.example" type="url" />}
        <TextField label="Search the gallery" value={text} onChange={setText} placeholder="Name, creator or tag" />
        <button type="submit" className="primary" disabled={busy || (!syncRelay && !relayUrl)}>
          Search
        </button>
      </form>
      {!syncRelay && !relayUrl ? <p className="muted">Turn on sync, or enter the address of a relay, to see its gallery.</p> : null}
      <ErrorLine text={error} />
      {result ? (
        <>
          <p className="muted small" aria-live="polite">
            {result.items.length === 0 ? (result.query ? `Nothing matches “${result.query}” on ${result.relay}.` : `Nothing is published on ${result.relay} yet.`) : `${result.items.length}${result.more ? '+' : ''} on ${result.relay}`}
            {result.matureHidden ? ' · 18+ entries are hidden (Settings › Public gallery).' : ''}
          </p>
          <ul className="gallery-grid" aria-label="Gallery entries">
            {result.items.map((item) => (
              <GalleryCard key={item.id} item={item} relayUrl={relayUrl} onImport={() => void importOne(item)} />
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** The age gate, in Settings: off until the user says they are 18 or older. */
export function AgeGate() {
  const showMature = usePrefs((s) => s.prefs.showMature === true);
  const toast = useLibrary((s) => s.toast);
  return (
    <section className="card" aria-labelledby="age-gate">
      <h2 id="age-gate">Public gallery</h2>
      <CheckField label="I am 18 or older: show gallery entries marked 18+" checked={showMature} onChange={(v) => void usePrefs.getState().update({ showMature: v }).catch((e) => toast(messageOf(e), 'error'))} />
    </section>
  );
}
