import type { SearchHit } from '../../shared/domain.std.ts';
import { useNav } from '../stores/nav.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

const kindLabel = { character: 'Character', scenario: 'Scenario', persona: 'Persona', conversation: 'Conversation', lorebook: 'Lorebook' } as const;

export function SearchResults({ hits, query }: { hits: SearchHit[]; query: string }) {
  const navigate = useNav((s) => s.navigate);
  const search = useLibrary((s) => s.search);
  const pending = new Set(useLibrary((s) => s.pending).map((p) => p.id));
  const shown = hits.filter((h) => !pending.has(h.recordId));
  return (
    <section aria-label="Search results" className="entries">
      <p className="muted" role="status">
        {shown.length === 0 ? `Nothing matches “${query}”.` : `${shown.length} result${shown.length === 1 ? '' : 's'} for “${query}”.`}{' '}
        <button type="button" className="link" onClick={() => void search('')}>
          Clear search
        </button>
      </p>
      <ul className="entry-list">
        {shown.map((h, i) => (
          <li key={`${h.recordId}-${h.messageId ?? ''}-${i}`} className="entry">
            <button
              type="button"
              className="entry-open search-hit"
              onClick={() => {
                const view = h.kind === 'conversation' ? { name: 'chat' as const, id: h.recordId, ...(h.messageId ? { find: { messageId: h.messageId, text: query.trim() } } : {}) } : { name: h.kind, id: h.recordId };
                if (navigate(view)) void search('');
              }}
            >
              <span className="badge">{kindLabel[h.kind]}</span>
              <span className="entry-text">
                <span className="entry-title">{h.title || 'Untitled'}</span>
                <span className="muted small excerpt">
                  <Marked text={h.excerpt} query={query} />
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The text with each occurrence of the query marked. */
function Marked({ text, query }: { text: string; query: string }) {
  const q = query.trim().toLowerCase();
  if (!q) return <>{text}</>;
  const parts: (string | { mark: string })[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, at)) {
    if (i > at) parts.push(text.slice(at, i));
    parts.push({ mark: text.slice(i, i + q.length) });
    at = i + q.length;
  }
  parts.push(text.slice(at));
  return <>{parts.map((p, i) => (typeof p === 'string' ? p : <mark key={i}>{p.mark}</mark>))}</>;
}
