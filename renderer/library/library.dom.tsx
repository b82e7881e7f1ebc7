/** The library: one tab per kind, search across everything, and import by file picker or drag and drop. */
import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { RecordKind } from '../../shared/domain.std.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { messageOf } from '../lib/api.dom.ts';
import { cardFiles, importCards } from './actions.dom.ts';
import { EntryRow } from './entry-row.dom.tsx';
import { CharacterGrid } from './character-grid.dom.tsx';
import { SearchResults } from './search-results.dom.tsx';

export const tabs: { kind: RecordKind; label: string; single: string }[] = [
  { kind: 'character', label: 'Characters', single: 'character' },
  { kind: 'scenario', label: 'Scenarios', single: 'scenario' },
  { kind: 'persona', label: 'Personas', single: 'persona' },
  { kind: 'conversation', label: 'Conversations', single: 'conversation' },
  { kind: 'lorebook', label: 'Lorebooks', single: 'lorebook' },
];

export function Library({ tab }: { tab: RecordKind }) {
  const { entries, loaded, pending, query, hits, load, search, toast } = useLibrary();
  const navigate = useNav((s) => s.navigate);
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  // The catalog is in memory in the core, so refetching on every tab switch is cheap and keeps counts honest.
  useEffect(() => {
    void load();
  }, [load, tab]);

  const hidden = new Set(pending.map((p) => p.id));
  const shown = entries.filter((e) => e.kind === tab && !hidden.has(e.id)).sort((a, b) => b.updatedAt - a.updatedAt);
  const current = tabs.find((t) => t.kind === tab)!;
  const counts = Object.fromEntries(tabs.map((t) => [t.kind, entries.filter((e) => e.kind === t.kind && !hidden.has(e.id)).length])) as Record<RecordKind, number>;

  const runImport = async (files: FileList | File[]) => {
    try {
      const { imported, failed } = await importCards(Array.from(files));
      if (imported.length) toast(`Imported ${imported.join(', ')}.`);
      for (const f of failed) toast(`Could not import ${f}`, 'error');
      await load();
      if (imported.length) navigate({ name: 'library', tab: 'character' });
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length) void runImport(e.dataTransfer.files);
  };

  const onTabKey = (e: KeyboardEvent, i: number) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!delta) return;
    const next = tabs[(i + delta + tabs.length) % tabs.length]!;
    navigate({ name: 'library', tab: next.kind });
    document.getElementById(`tab-${next.kind}`)?.focus();
  };

  return (
    <div
      className={`library${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="page-head">
        <h1>Library</h1>
        <div className="search">
          <label htmlFor="search" className="visually-hidden">
            Search everything
          </label>
          <input id="search" type="search" placeholder="Search characters, scenarios, personas and chats…" value={query} onChange={(e) => void search(e.target.value)} />
        </div>
      </header>

      {hits ? (
        <SearchResults hits={hits} query={query} />
      ) : (
        <>
          <div className="tabs-row">
            <div role="tablist" aria-label="Record kinds" className="tabs">
              {tabs.map((t, i) => (
                <button
                  key={t.kind}
                  id={`tab-${t.kind}`}
                  role="tab"
                  type="button"
                  aria-selected={t.kind === tab}
                  aria-controls="library-panel"
                  tabIndex={t.kind === tab ? 0 : -1}
                  onClick={() => navigate({ name: 'library', tab: t.kind })}
                  onKeyDown={(e) => onTabKey(e, i)}
                >
                  {/* The space keeps the count apart from the name when read aloud ("Characters 5", not "Characters5"). */}
                  {t.label}{' '}
                  <span className="count">{counts[t.kind]}</span>
                </button>
              ))}
            </div>
            <div className="actions">
              {tab === 'character' ? (
                <>
                  <input ref={fileInput} type="file" accept={cardFiles} multiple hidden aria-hidden="true" onChange={(e) => e.target.files && void runImport(e.target.files).then(() => (e.target.value = ''))} />
                  <button type="button" onClick={() => fileInput.current?.click()}>
                    Import card…
                  </button>
                </>
              ) : null}
              {tab !== 'conversation' ? (
                <button type="button" className="primary" onClick={() => navigate({ name: tab as 'character' | 'scenario' | 'persona' | 'lorebook', id: null })}>
                  New {current.single}
                </button>
              ) : null}
            </div>
          </div>
          <section id="library-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="entries">
            {!loaded ? <p className="muted">Loading…</p> : null}
            {loaded && shown.length === 0 ? <Empty tab={tab} /> : null}
            {tab === 'character' ? (
              <CharacterGrid entries={shown} />
            ) : (
              <ul className="entry-list">
                {shown.map((e) => (
                  <EntryRow key={e.id} entry={e} />
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      {dragging ? (
        <div className="drop-hint" aria-hidden="true">
          Drop character cards (PNG, JSON or CHARX) to import them
        </div>
      ) : null}
    </div>
  );
}

function Empty({ tab }: { tab: RecordKind }) {
  const text: Record<RecordKind, string> = {
    character: 'No characters yet. Create one, or import a character card (PNG, JSON or CHARX) — you can also drop files here.',
    scenario: 'No scenarios yet. A scenario sets the scene: a setting, its characters and opening messages.',
    persona: 'No personas yet. A persona is who you play in a chat.',
    conversation: 'No conversations yet. Start one from a character or a scenario.',
    lorebook: 'No lorebooks yet. A lorebook holds world facts that enter the prompt when their keywords come up — in every chat, one chat, or with a character or persona.',
  };
  return <p className="empty">{text[tab]}</p>;
}
