import { useLibrary } from '../stores/library.dom.ts';

/** Toasts live in a polite live region so screen readers hear them without losing their place. */
export function Toasts() {
  const toasts = useLibrary((s) => s.toasts);
  const undo = useLibrary((s) => s.undo);
  const dismiss = useLibrary((s) => s.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`}>
          <span>{t.text}</span>
          {t.undoId ? (
            <button type="button" onClick={() => undo(t.undoId!)}>
              Undo
            </button>
          ) : null}
          <button type="button" className="ghost" aria-label={`Dismiss: ${t.text}`} onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
