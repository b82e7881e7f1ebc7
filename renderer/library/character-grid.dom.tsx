/**
 * The characters tab: a grid of portraits with name, creator, tags and a line of description, filtered by tag or
 * favourites and sorted as the user chooses. Favourites live in the vault's preferences (they sync).
 */
import { useId, useMemo } from 'react';
import type { CatalogEntry } from '../../shared/domain.std.ts';
import { Avatar } from '../components/avatar.dom.tsx';
import { messageOf } from '../lib/api.dom.ts';
import { useLibrary, type CharacterSort } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { usePrefs } from '../stores/prefs.dom.ts';
import { EntryActions } from './entry-row.dom.tsx';
import { useSummaries, type Summary } from './summaries.dom.ts';

const sorts: { value: CharacterSort; label: string }[] = [
  { value: 'edited', label: 'Recently edited' },
  { value: 'name', label: 'Name (A–Z)' },
  { value: 'added', label: 'Newest first' },
];

export function CharacterGrid({ entries }: { entries: CatalogEntry[] }) {
  const { filter, setFilter } = useLibrary();
  const favourites = usePrefs((s) => s.prefs.favourites);
  const summaries = useSummaries(entries);
  const uid = useId();

  const tags = useMemo(() => {
    const counts = new Map<string, number>();
    for (const e of entries) for (const t of summaries.get(e.id)?.tags ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0].localeCompare(b[0]));
  }, [entries, summaries]);

  const fav = new Set(favourites);
  const shown = entries
    .filter((e) => (!filter.favouritesOnly || fav.has(e.id)) && (!filter.tag || (summaries.get(e.id)?.tags ?? []).includes(filter.tag)))
    .sort((a, b) => {
      // Favourites first, then the chosen order.
      const f = Number(fav.has(b.id)) - Number(fav.has(a.id));
      if (f) return f;
      if (filter.sort === 'name') return a.title.localeCompare(b.title);
      if (filter.sort === 'added') return b.createdAt - a.createdAt;
      return b.updatedAt - a.updatedAt;
    });

  return (
    <>
      <div className="grid-tools" role="group" aria-label="Show characters">
        <span className="tool">
          <label htmlFor={`${uid}-tag`}>Tag</label>
          <select id={`${uid}-tag`} value={filter.tag} onChange={(e) => setFilter({ tag: e.target.value })}>
            <option value="">All tags</option>
            {tags.map(([t, n]) => (
              <option key={t} value={t}>
                {t} ({n})
              </option>
            ))}
          </select>
        </span>
        <span className="tool">
          <label htmlFor={`${uid}-sort`}>Sort by</label>
          <select id={`${uid}-sort`} value={filter.sort} onChange={(e) => setFilter({ sort: e.target.value as CharacterSort })}>
            {sorts.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </span>
        <span className="check">
          <input id={`${uid}-fav`} type="checkbox" checked={filter.favouritesOnly} onChange={(e) => setFilter({ favouritesOnly: e.target.checked })} />
          <label htmlFor={`${uid}-fav`}>Favourites only</label>
        </span>
      </div>
      {shown.length === 0 && entries.length > 0 ? <p className="empty">No character matches. Choose another tag, or show all characters.</p> : null}
      <ul className="char-grid">
        {shown.map((e) => (
          <CharacterCard key={e.id} entry={e} summary={summaries.get(e.id)} favourite={fav.has(e.id)} />
        ))}
      </ul>
    </>
  );
}

function CharacterCard({ entry, summary, favourite }: { entry: CatalogEntry; summary: Summary | undefined; favourite: boolean }) {
  const navigate = useNav((s) => s.navigate);
  const toggleFavourite = usePrefs((s) => s.toggleFavourite);
  const toast = useLibrary((s) => s.toast);
  const { filter, setFilter } = useLibrary();
  const title = entry.title || 'Untitled';
  return (
    <li className="char-card">
      <button type="button" className="char-open" aria-label={`Open ${title}`} onClick={() => navigate({ name: 'character', id: entry.id })}>
        <Avatar name={title} assetId={summary?.avatar} size="portrait" />
        <span className="char-name">{title}</span>
      </button>
      <div className="char-text">
        <div className="char-meta">
          <p className="muted small char-creator">{summary?.creator ? `by ${summary.creator}` : ''}</p>
          <button
            type="button"
            className={`fav${favourite ? ' on' : ''}`}
            aria-pressed={favourite}
            aria-label={`Favourite ${title}`}
            title={favourite ? 'A favourite: shown first' : 'Mark as a favourite'}
            onClick={() => void toggleFavourite(entry.id).catch((e) => toast(messageOf(e), 'error'))}
          >
            <span aria-hidden="true">{favourite ? '★' : '☆'}</span>
          </button>
        </div>
        {summary?.line ? <p className="char-line">{summary.line}</p> : null}
        {summary?.tags.length ? (
          <ul className="tags" aria-label={`Tags of ${title}`}>
            {summary.tags.slice(0, 6).map((t) => (
              <li key={t}>
                <button type="button" className="tag" aria-pressed={filter.tag === t} aria-label={`Show only ${t} (tag of ${title})`} onClick={() => setFilter({ tag: filter.tag === t ? '' : t })}>
                  {t}
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <EntryActions entry={entry} />
    </li>
  );
}
