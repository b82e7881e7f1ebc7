/** The conversation's title in the chat header, with Rename: Enter saves, Escape cancels. */
import { useState } from 'react';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

export function ChatTitle({ id, title, onError }: { id: string; title: string; onError(message: string): void }) {
  const [draft, setDraft] = useState<string | null>(null);
  // What this view saved, until the conversation's own title catches up with it.
  const [saved, setSaved] = useState<string | null>(null);
  const shown = saved ?? title;
  if (draft === null)
    return (
      <>
        <h1>{shown || 'Conversation'}</h1>
        <button type="button" className="ghost" aria-label={`Rename ${shown || 'this conversation'}`} onClick={() => setDraft(shown)}>
          Rename
        </button>
      </>
    );
  const save = async () => {
    const next = draft.trim();
    setDraft(null);
    if (!next || next === shown) return;
    try {
      await call('conversation.update', { id, patch: { title: next } });
      setSaved(next);
      void useLibrary.getState().load();
    } catch (e) {
      onError(messageOf(e));
    }
  };
  return (
    <form
      className="rename"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor="rename-input" className="visually-hidden">
        Conversation title
      </label>
      <input
        id="rename-input"
        value={draft}
        maxLength={1000}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            setDraft(null);
          }
        }}
      />
      <button type="submit" className="primary">
        Save title
      </button>
    </form>
  );
}
