/** One library row: avatar, title, when it changed, and its actions. */
import type { CatalogEntry } from '../../shared/domain.std.ts';
import { messageOf } from '../lib/api.dom.ts';
import { useSummaries } from './summaries.dom.ts';
import { Avatar } from '../components/avatar.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { chatWithCharacter, continueWithCharacter, duplicate, exportCard, playScenario } from './actions.dom.ts';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function EntryRow({ entry }: { entry: CatalogEntry }) {
  const navigate = useNav((s) => s.navigate);
  const avatarId = useSummaries([entry]).get(entry.id)?.avatar;
  const title = entry.title || 'Untitled';
  const open = () => navigate(entry.kind === 'conversation' ? { name: 'chat', id: entry.id } : { name: entry.kind, id: entry.id });
  return (
    <li className="entry">
      {/* The date sits outside the button, so its name ("Open …") contains all the text it shows. */}
      <div className="entry-main">
        <button type="button" className="entry-open" onClick={open} aria-label={`Open ${title}`}>
          <Avatar name={title} assetId={avatarId} />
          <span className="entry-title">{title}</span>
        </button>
        <span className="muted small entry-meta">Edited {when.format(entry.updatedAt)}</span>
      </div>
      <EntryActions entry={entry} />
    </li>
  );
}

/** What can be done with a record from the library: chat, play, duplicate, export, delete. */
export function EntryActions({ entry }: { entry: CatalogEntry }) {
  const navigate = useNav((s) => s.navigate);
  const { remove, load, toast } = useLibrary();
  const title = entry.title || 'Untitled';
  const attempt = (f: () => Promise<void>) => () => void f().catch((e) => toast(messageOf(e), 'error'));
  return (
    <div className="entry-actions">
      {entry.kind === 'character' ? (
        <>
          <button type="button" className="primary" aria-label={`Chat with ${title}`} title="Continues your latest chat with this character" onClick={attempt(async () => {
            const conversations = useLibrary.getState().entries.filter((e) => e.kind === 'conversation');
            navigate({ name: 'chat', id: await continueWithCharacter(entry.id, conversations) });
          })}>
            Chat
          </button>
          <button type="button" aria-label={`New chat with ${title}`} onClick={attempt(async () => {
            await load();
            navigate({ name: 'chat', id: await chatWithCharacter(entry.id) });
          })}>
            New chat
          </button>
        </>
      ) : null}
      {entry.kind === 'scenario' ? (
        <button type="button" aria-label={`Play ${title}`} onClick={attempt(async () => {
          navigate({ name: 'chat', id: await playScenario(entry.id) });
        })}>
          Play
        </button>
      ) : null}
      <button
        type="button"
        aria-label={`Duplicate ${title}`}
        onClick={attempt(async () => {
          await duplicate(entry);
          await load();
          toast(`Duplicated “${title}”.`);
        })}
      >
        Duplicate
      </button>
      {entry.kind === 'character' ? <ExportMenu id={entry.id} title={title} /> : null}
      <button type="button" className="danger" aria-label={`Delete ${title}`} onClick={() => remove(entry)}>
        Delete
      </button>
    </div>
  );
}

function ExportMenu({ id, title }: { id: string; title: string }) {
  const toast = useLibrary((s) => s.toast);
  return (
    <label className="export">
      <span className="visually-hidden">Export {title} as</span>
      <select
        value=""
        onChange={(e) => {
          const format = e.target.value as 'png' | 'json' | 'charx';
          e.target.value = '';
          if (format) void exportCard(id, format).catch((err) => toast(messageOf(err), 'error'));
        }}
      >
        <option value="">Export…</option>
        <option value="png">PNG card</option>
        <option value="json">JSON card</option>
        <option value="charx">CHARX</option>
      </select>
    </label>
  );
}
