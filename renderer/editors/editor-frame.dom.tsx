import type { FormEvent, ReactNode } from 'react';
import { useNav } from '../stores/nav.dom.ts';
import { ErrorLine } from '../components/fields.dom.tsx';

/** Title bar, save/back buttons and error line shared by every editor. Ctrl/Cmd+S saves. */
export function EditorFrame(p: { title: string; dirty: boolean; saving: boolean; error: string | null; onSave(): void; children: ReactNode; aside?: ReactNode; intro?: ReactNode }) {
  const navigate = useNav((s) => s.navigate);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    p.onSave();
  };
  return (
    <form
      className="editor"
      onSubmit={submit}
      onKeyDown={(e) => {
        if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
          e.preventDefault();
          p.onSave();
        }
      }}
    >
      <header className="page-head sticky">
        <button type="button" className="ghost" onClick={() => navigate({ name: 'library', tab: useNav.getState().libraryTab })}>
          ← Library
        </button>
        <h1>{p.title}</h1>
        <span className="muted small" aria-live="polite">
          {p.saving ? 'Saving…' : p.dirty ? 'Unsaved changes' : 'All changes saved'}
        </span>
        <button type="submit" className="primary" disabled={p.saving || !p.dirty}>
          Save
        </button>
      </header>
      <ErrorLine text={p.error} />
      {p.intro}
      <div className="editor-body">
        <div className="editor-main">{p.children}</div>
        {p.aside ? <aside className="editor-aside">{p.aside}</aside> : null}
      </div>
    </form>
  );
}
