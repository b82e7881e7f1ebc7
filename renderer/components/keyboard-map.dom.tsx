/** The keyboard map, opened with "?" anywhere outside a text field (a modal <dialog>: Escape or Close ends it). */
import { useEffect, useRef, useState } from 'react';
import { useModal } from './dialog.dom.tsx';

const keys: [string, string][] = [
  ['?', 'Show this list'],
  ['Enter', 'Send the message'],
  ['Shift+Enter', 'New line in the message'],
  ['Escape', 'Stop a reply that is being written, cancel an edit, close a dialog or the menu'],
  ['← / →', 'Previous / next alternative of the last reply (in an empty message box or the message list)'],
  ['Home / End', 'First / last message (in the message list)'],
  ['Ctrl+S', 'Save in an editor'],
  ['Tab', 'Move between controls'],
];

const typing = (el: Element | null) => !!el && (el.matches('input, textarea, select, [contenteditable=""], [contenteditable="true"]') || !!el.closest('dialog'));

export function KeyboardMap() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(document.activeElement)) {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useModal(ref, open);
  if (!open) return null;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="keys-title" onCancel={(e) => (e.preventDefault(), setOpen(false))}>
      <h2 id="keys-title">Keyboard shortcuts</h2>
      <dl className="facts keys">
        {keys.map(([k, what]) => (
          <div key={k} className="fact">
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <div className="row dialog-actions">
        <button type="button" className="primary" onClick={() => setOpen(false)} autoFocus>
          Close
        </button>
      </div>
    </dialog>
  );
}
