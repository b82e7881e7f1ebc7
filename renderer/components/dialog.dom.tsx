/**
 * In-app confirmation dialogs instead of the browser's confirm(): a native <dialog> opened with showModal(), so
 * the rest of the page is inert (focus stays inside), Escape cancels, and focus returns where it was. One at a
 * time; `confirmDialog` resolves true when the user confirms.
 */
import { useEffect, useRef, type RefObject } from 'react';
import { create } from 'zustand';

interface Ask {
  title: string;
  body: string;
  confirm: string;
  danger: boolean;
  resolve(ok: boolean): void;
}

const useDialog = create<{ ask: Ask | null }>(() => ({ ask: null }));

export function confirmDialog(options: { title: string; body: string; confirm: string; danger?: boolean }): Promise<boolean> {
  // A second question while one is open answers the first with "no": never two modal layers.
  useDialog.getState().ask?.resolve(false);
  return new Promise((resolve) => {
    useDialog.setState({
      ask: {
        ...options,
        danger: options.danger ?? false,
        resolve: (ok) => {
          useDialog.setState({ ask: null });
          resolve(ok);
        },
      },
    });
  });
}

/** Opens the <dialog> as a modal while `open` holds; on closing, focus goes back to where it was. */
export function useModal(ref: RefObject<HTMLDialogElement | null>, open: boolean): void {
  useEffect(() => {
    const d = ref.current;
    if (!d || !open) return;
    const back = document.activeElement as HTMLElement | null;
    d.showModal();
    return () => {
      if (d.open) d.close();
      back?.focus();
    };
  }, [ref, open]);
}

export function DialogHost() {
  const ask = useDialog((s) => s.ask);
  const ref = useRef<HTMLDialogElement>(null);
  useModal(ref, ask !== null);
  if (!ask) return null;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      aria-describedby="dialog-body"
      onCancel={(e) => {
        e.preventDefault();
        ask.resolve(false);
      }}
    >
      <h2 id="dialog-title">{ask.title}</h2>
      <p id="dialog-body">{ask.body}</p>
      <div className="row dialog-actions">
        <button type="button" onClick={() => ask.resolve(false)} autoFocus>
          Cancel
        </button>
        <button type="button" className={ask.danger ? 'danger-solid' : 'primary'} onClick={() => ask.resolve(true)}>
          {ask.confirm}
        </button>
      </div>
    </dialog>
  );
}
