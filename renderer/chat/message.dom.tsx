/** One message: author, text (or an editor), swipes between alternatives, and the per-message actions. */
import { memo, useState, type CSSProperties } from 'react';
import { speak } from './story.dom.ts';
import type { Message } from '../../shared/domain.std.ts';
import { MessageText } from './markdown.dom.tsx';
import { Avatar } from '../components/avatar.dom.tsx';
import type { Stream } from '../stores/chat.dom.ts';
import { useDisplayText } from '../stores/regex.dom.ts';

export interface MessageActions {
  choose(m: Message, index: number): void;
  regenerate(m: Message): void;
  continueMsg(m: Message): void;
  edit(m: Message, text: string): void;
  remove(m: Message): void;
  branch(m: Message): void;
  /** Shows the prompt this reply was made from. */
  inspect(m: Message): void;
}

interface Props {
  message: Message;
  author: string;
  avatarId: string | undefined;
  stream: Stream | undefined;
  isLast: boolean;
  busy: boolean;
  actions: MessageActions;
  /** 1-based place in the conversation: gives each message's buttons a name of their own ("Edit (message 3)"). */
  position: number;
  /** The banner under the list already tells this reply's failure: say it once. */
  errorInBanner?: boolean;
  /** The character's hue (their name and portrait frame take it). */
  hue?: number | undefined;
  /** The message a search led to. */
  found?: boolean;
  /** Offer "Read aloud", with this voice (a character's own, or the system's first). */
  readAloud?: boolean;
  voice?: string | undefined;
  /** The text as shown (macros applied; shared/display-text.std.ts). Editing shows the text as written. */
  display?: (text: string, message: Message, alternativeId: string) => string;
}

export const MessageView = memo(function MessageView({ message: m, author, avatarId, stream, isLast, busy, actions, errorInBanner, position, hue, found, readAloud, voice, display }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const [speaking, setSpeaking] = useState(false);
  const alt = m.alternatives[m.chosen] ?? m.alternatives[0]!;
  const text = stream && stream.alternativeId === alt.id ? stream.base + stream.text : alt.text;
  const streaming = alt.status === 'streaming' || (stream !== undefined && stream.alternativeId === alt.id);
  const reasoning = (stream && stream.alternativeId === alt.id ? stream.reasoning : undefined) ?? alt.reasoning;
  const fromAi = m.role === 'character';
  // Display-side regex scripts; the editor and the stored text keep what was written.
  // Macros first (the text as written → as shown), then display-side regex scripts.
  const shown = useDisplayText(m, display ? display(text, m, alt.id) : text, author, position);
  const shownReasoning = useDisplayText(m, reasoning ?? '', author, position, 'reasoning');
  const n = m.alternatives.length;

  return (
    <article
      className={`msg msg-${m.role}${found ? ' msg-found' : ''}`}
      aria-label={`${author} said`}
      data-message-id={m.id}
      style={hue === undefined ? undefined : ({ '--who-h': hue } as CSSProperties)}
    >
      <header className="msg-head">
        {m.role === 'user' || m.role === 'character' ? <Avatar name={author} assetId={avatarId} size="story" /> : null}
        <span className="msg-author">{author}</span>
        {alt.status === 'stopped' ? <span className="badge">stopped</span> : null}
        {alt.status === 'error' ? <span className="badge">failed</span> : null}
        {streaming ? <span className="badge live">writing…</span> : null}
        {m.editedAt ? <span className="muted small">edited</span> : null}
        {fromAi && alt.provider ? (
          <span className="muted small" title={alt.model ? `${alt.provider} · ${alt.model}` : alt.provider}>
            via {alt.provider}
          </span>
        ) : null}
      </header>
      {editing !== null ? (
        <form
          className="msg-edit"
          onSubmit={(e) => {
            e.preventDefault();
            actions.edit(m, editing);
            setEditing(null);
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${m.id}`}>
            Edit message
          </label>
          <textarea id={`edit-${m.id}`} autoComplete="off" value={editing} rows={Math.min(16, editing.split('\n').length + 2)} onChange={(e) => setEditing(e.target.value)}
            onKeyDown={(e) => {
              // Escape cancels the edit (and must not also stop a stream or close anything else).
              if (e.key === 'Escape') {
                e.preventDefault();
                setEditing(null);
              }
            }}
            autoFocus
          />
          <div className="row">
            <button type="submit" className="primary">
              Save edit
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          {reasoning ? (
            <details className="msg-thinking">
              <summary>{streaming && !text ? 'Thinking…' : 'Thinking'}</summary>
              <MessageText text={shownReasoning} />
            </details>
          ) : null}
          <div className="msg-body">
            <MessageText text={shown} />
          </div>
        </>
      )}
      {alt.status === 'error' && alt.error && !errorInBanner ? (
        <p className="error small" role="alert">
          {alt.error}
        </p>
      ) : null}
      <footer className="msg-actions">
        {n > 1 ? (
          <span className="swipes" role="group" aria-label={`Alternatives (message ${position})`}>
            <button type="button" className="icon" aria-label={`Previous alternative (message ${position})`} disabled={m.chosen === 0 || busy} onClick={() => actions.choose(m, m.chosen - 1)}>
              ‹
            </button>
            <span aria-live="polite">
              {m.chosen + 1}/{n}
            </span>
            <button type="button" className="icon" aria-label={`Next alternative (message ${position})`} disabled={m.chosen >= n - 1 || busy} onClick={() => actions.choose(m, m.chosen + 1)}>
              ›
            </button>
          </span>
        ) : null}
        {fromAi ? (
          <button type="button" aria-label={`Regenerate (message ${position})`} disabled={busy} onClick={() => actions.regenerate(m)}>
            Regenerate
          </button>
        ) : null}
        {fromAi && isLast && text.trim() ? (
          <button type="button" aria-label={`Continue (message ${position})`} disabled={busy} onClick={() => actions.continueMsg(m)}>
            Continue
          </button>
        ) : null}
        {readAloud && text.trim() && !streaming ? (
          <button
            type="button"
            aria-label={`${speaking ? 'Stop reading' : 'Read aloud'} (message ${position})`}
            aria-pressed={speaking}
            disabled={!('speechSynthesis' in window)}
            onClick={() => {
              if (speaking) {
                window.speechSynthesis.cancel();
                setSpeaking(false);
              } else {
                setSpeaking(true);
                speak(text, voice, () => setSpeaking(false));
              }
            }}
          >
            {speaking ? 'Stop reading' : 'Read aloud'}
          </button>
        ) : null}
        <button type="button" aria-label={`Edit (message ${position})`} disabled={busy} onClick={() => setEditing(alt.text)}>
          Edit
        </button>
        {fromAi ? (
          <button type="button" aria-label={`Prompt (message ${position})`} onClick={() => actions.inspect(m)}>
            Prompt
          </button>
        ) : null}
        <button type="button" aria-label={`Branch (message ${position})`} disabled={busy} onClick={() => actions.branch(m)}>
          Branch
        </button>
        <button type="button" className="danger" aria-label={`Delete (message ${position})`} disabled={busy} onClick={() => actions.remove(m)}>
          Delete
        </button>
      </footer>
    </article>
  );
});
