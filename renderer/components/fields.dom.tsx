/** Labelled inputs: every control has a visible label tied to it, so screen readers announce it. */
import { useId, type ReactNode } from 'react';

interface TextProps {
  label: string;
  value: string;
  onChange(value: string): void;
  multiline?: boolean;
  rows?: number;
  hint?: ReactNode;
  required?: boolean;
  placeholder?: string;
  type?: 'text' | 'password' | 'date' | 'number' | 'url';
  autoComplete?: string;
  autoFocus?: boolean;
  name?: string;
  /** Id of a <datalist> of suggestions; typing anything else stays allowed. */
  list?: string;
}

export function TextField(p: TextProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const common = {
    id,
    name: p.name,
    value: p.value,
    required: p.required,
    placeholder: p.placeholder,
    autoFocus: p.autoFocus,
    'aria-describedby': p.hint ? hintId : undefined,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{p.label}</label>
      {p.multiline ? (
        <textarea {...common} autoComplete="off" rows={p.rows ?? 4} onChange={(e) => p.onChange(e.target.value)} spellCheck />
      ) : (
        <input {...common} list={p.list} type={p.type ?? 'text'} autoComplete={p.autoComplete ?? 'off'} onChange={(e) => p.onChange(e.target.value)} />
      )}
      {p.hint ? (
        <div className="hint" id={hintId}>
          {p.hint}
        </div>
      ) : null}
    </div>
  );
}

/** `name`, when given, is the full accessible name where the visible label is short and repeats (per list item). */
export function CheckField(p: { label: string; name?: string; checked: boolean; onChange(v: boolean): void }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" aria-label={p.name} checked={p.checked} onChange={(e) => p.onChange(e.target.checked)} />
      <label htmlFor={id}>{p.label}</label>
    </div>
  );
}

/** A list of long texts (alternate greetings, opening messages), each with its own label and remove button. */
export function TextListField(p: { label: string; itemLabel: string; items: string[]; onChange(items: string[]): void }) {
  return (
    <fieldset className="list-field">
      <legend>{p.label}</legend>
      {p.items.length === 0 ? <p className="muted">None yet.</p> : null}
      {p.items.map((item, i) => (
        <div className="list-item" key={i}>
          <TextField label={`${p.itemLabel} ${i + 1}`} value={item} multiline rows={3} onChange={(v) => p.onChange(p.items.map((x, j) => (j === i ? v : x)))} />
          <button type="button" className="ghost danger" onClick={() => p.onChange(p.items.filter((_, j) => j !== i))}>
            Remove {p.itemLabel.toLowerCase()} {i + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => p.onChange([...p.items, ''])}>
        Add {p.itemLabel.toLowerCase()}
      </button>
    </fieldset>
  );
}

/** Comma-separated short values (tags, lorebook keys) edited as one line. */
export function CommaField(p: { label: string; values: string[]; onChange(values: string[]): void; hint?: string }) {
  return (
    <TextField
      label={p.label}
      value={p.values.join(', ')}
      hint={p.hint ?? 'Separate with commas.'}
      onChange={(v) =>
        p.onChange(
          v
            .split(',')
            .map((x, i, all) => (i === all.length - 1 ? x.trimStart() : x.trim()))
            .filter((x, i, all) => x !== '' || i === all.length - 1),
        )
      }
    />
  );
}

/** The outcome of an action beside its buttons: announced politely when it worked, as an alert when it did not. */
export function Outcome({ message }: { message: { ok: boolean; text: string } | null }) {
  if (!message) return null;
  return (
    <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </p>
  );
}

/** An error beside the control it concerns, announced to screen readers; nothing when there is none. */
export function ErrorLine({ text, small }: { text: string | null | undefined; small?: boolean }) {
  if (!text) return null;
  return (
    <p className={small ? 'error small' : 'error'} role="alert">
      {text}
    </p>
  );
}
