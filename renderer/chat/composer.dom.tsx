import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { limits } from '../../shared/domain.std.ts';

interface Props {
  busy: boolean;
  /** Resolves true once the core took the message; on false the text stays for the user to fix or resend. */
  onSend(text: string): Promise<boolean>;
  onStop(): void;
  /** ←/→ in an empty composer: swipe the last reply's alternatives. */
  onSwipe?(direction: -1 | 1): void;
  /** "Write my turn": the AI writes the user's next turn; it lands here to edit or send (nothing is sent until then). */
  onSuggest?: () => Promise<string | null>;
}

const count = (n: number) => n.toLocaleString('en');
/** Checked here, before anything is sent, so an oversized paste gets a plain answer at once and is kept. */
export function tooLong(text: string): string | null {
  return text.length > limits.longText
    ? `This message is ${count(text.length)} characters long; one message can hold at most ${count(limits.longText)}. Shorten it or send it in parts — nothing was sent, and your text is still here.`
    : null;
}

/**
 * Enter sends, Shift+Enter adds a line, Escape stops a streaming reply. While a reply streams, Stop replaces
 * Send. The text is cleared only once the core accepted the message: a failed send never loses what was typed.
 * The box grows with its text up to a limit, and takes focus when the conversation opens.
 */
export function Composer({ busy, onSend, onStop, onSwipe, onSuggest }: Props) {
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
  const [sending, setSending] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const problem = tooLong(text);

  useEffect(() => box.current?.focus(), []);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    // Very long text would make this measurement itself slow; such text is capped at the maximum height anyway.
    if (text.length > 20_000) {
      el.style.height = '';
      el.classList.add('tall');
      return;
    }
    el.classList.remove('tall');
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight + 2}px`;
  }, [text]);
  useEffect(() => {
    if (!busy) return;
    const stop = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) onStop();
    };
    window.addEventListener('keydown', stop);
    return () => window.removeEventListener('keydown', stop);
  }, [busy, onStop]);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busy || sending || !text.trim() || problem) return;
    setSending(true);
    const sent = await onSend(text).catch(() => false);
    setSending(false);
    if (sent) setText((now) => (now === text ? '' : now));
    box.current?.focus();
  };
  return (
    <form className="composer" onSubmit={(e) => void submit(e)}>
      <label htmlFor="composer-input" className="visually-hidden">
        Your message
      </label>
      <div className="composer-box">
        <textarea
          id="composer-input"
          ref={box}
          value={text}
          rows={1}
          // Also keeps Chromium from saving the draft into its session-restore files (the canary scan checks).
          autoComplete="off"
          placeholder="Write a message… (Enter to send, Shift+Enter for a new line)"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'composer-problem' : undefined}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void submit();
            } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !text && onSwipe) {
              e.preventDefault();
              onSwipe(e.key === 'ArrowLeft' ? -1 : 1);
            }
          }}
        />
        {problem ? (
          <p id="composer-problem" className="error small" role="alert">
            {problem}
          </p>
        ) : null}
      </div>
      {onSuggest && !busy ? (
        <button type="button" onClick={() => void suggest()} disabled={suggesting} title="The AI writes your next message here; you edit or send it">
          {suggesting ? 'Writing…' : 'Write my turn'}
        </button>
      ) : null}
      {busy ? (
        <button type="button" className="danger" onClick={onStop} aria-keyshortcuts="Escape">
          Stop
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!text.trim() || !!problem || sending}>
          Send
        </button>
      )}
    </form>
  );
}
