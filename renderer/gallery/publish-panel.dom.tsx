/**
 * Publish / Unpublish on a character's or scenario's page. Nothing is sent before the user has read, in a
 * dialog, what becomes public (the same words the core's notice uses everywhere) and agreed.
 */
import { useEffect, useState } from 'react';
import type { PublishedView } from '../../shared/api/gallery.std.ts';
import { publishNotice } from '../../shared/gallery/notice.std.ts';
import { CheckField, TextField } from '../components/fields.dom.tsx';
import { confirmDialog } from '../components/dialog.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useSync } from '../stores/sync.dom.ts';

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function PublishPanel({ recordId, kind, name }: { recordId: string; kind: 'character' | 'scenario'; name: string }) {
  const toast = useLibrary((s) => s.toast);
  const syncRelay = useSync((s) => s.status?.relayUrl);
  const [published, setPublished] = useState<PublishedView | null | undefined>(undefined);
  const [mature, setMature] = useState(false);
  const [relay, setRelay] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    void call('gallery.status', { recordId }).then((r) => live && setPublished(r.published), () => live && setPublished(null));
    return () => {
      live = false;
    };
  }, [recordId]);

  const relayUrl = relay.trim() || undefined;
  const relayHost = (() => {
    try {
      return new URL(relayUrl ?? syncRelay ?? '').host;
    } catch {
      return 'the relay';
    }
  })();

  const publish = async () => {
    const body = publishNotice({ name: name || 'Untitled', kind, mature, relay: relayHost }).join('\n\n');
    if (!(await confirmDialog({ title: `Make ${name || 'this'} public?`, body, confirm: 'Publish' }))) return;
    setBusy(true);
    try {
      setPublished(await call('gallery.publish', { recordId, mature, ...(relayUrl ? { relayUrl } : {}) }));
      toast(`${name || 'It'} is now in the public gallery.`, 'info');
    } catch (e) {
      toast(messageOf(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const unpublish = async () => {
    const body = `This removes ${name || 'it'} from the public gallery at once. Copies others have already made stay theirs.`;
    if (!(await confirmDialog({ title: 'Unpublish?', body, confirm: 'Unpublish', danger: true }))) return;
    setBusy(true);
    try {
      await call('gallery.unpublish', { recordId });
      setPublished(null);
      toast(`${name || 'It'} is no longer in the public gallery.`, 'info');
    } catch (e) {
      toast(messageOf(e), 'error');
    } finally {
      setBusy(false);
    }
  };

  if (published === undefined) return null;
  return (
    <section className="publish card" aria-labelledby={`publish-${recordId}`}>
      <h3 id={`publish-${recordId}`}>Public gallery</h3>
      {published ? (
        <>
          <p>
            Published on {published.relay} since {day.format(published.publishedAt)}
            {published.mature ? ', marked 18+' : ''}. Anyone can read and copy it.
          </p>
          <button type="button" className="danger" onClick={() => void unpublish()} disabled={busy}>
            Unpublish
          </button>
        </>
      ) : (
        <>
          <p className="muted small">Share this {kind} as a card anyone can read, download and import. Only this {kind} is shared, and only when you say so.</p>
          <CheckField label="Mark as 18+ (hidden from people who have not said they are 18 or older)" checked={mature} onChange={setMature} />
          {syncRelay ? null : <TextField label="Relay address" value={relay} onChange={setRelay} placeholder="wss://relay.example" type="url" />}
          <button type="button" onClick={() => void publish()} disabled={busy || (!syncRelay && !relayUrl)}>
            Publish…
          </button>
        </>
      )}
    </section>
  );
}
