import { useState, type FormEvent } from 'react';

/**
 * Enter sends, Shift+Enter adds a line. While a reply streams, Stop replaces Send. "Write my turn" asks the AI for
 * the user's next turn and puts it here, to edit or send (nothing is sent until then).
 */
export function Composer({ busy, onSend, onStop, onSuggest }: { busy: boolean; onSend(text: string): void; onStop(): void; onSuggest?: () => Promise<string | null> }) {
  const [text, setText] = useState('');
  const [suggesting, setSuggesting] = useState(false);
  const suggest = async () => {
    if (!onSuggest) return;
    setSuggesting(true);
    try {
      const suggestion = await onSuggest();
      if (suggestion) setText(suggestion);
    } finally {
      setSuggesting(false);
    }
  };
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (busy || !text.trim()) return;
    onSend(text);
    setText('');
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="composer-input" className="visually-hidden">
        Your message
      </label>
      <textarea
        id="composer-input"
        value={text}
        rows={2}
        placeholder="Write a message… (Enter to send, Shift+Enter for a new line)"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {onSuggest && !busy ? (
        <button type="button" onClick={() => void suggest()} disabled={suggesting} title="The AI writes your next message here; you edit or send it">
          {suggesting ? 'Writing…' : 'Write my turn'}
        </button>
      ) : null}
      {busy ? (
        <button type="button" className="danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!text.trim()}>
          Send
        </button>
      )}
    </form>
  );
}
