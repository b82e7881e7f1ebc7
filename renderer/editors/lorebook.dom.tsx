/** Lorebook entries: keys, content, enabled, constant, position and order. Unknown entry fields are kept as is. */
import type { LoreEntry, Lorebook } from '../../shared/domain.std.ts';
import { CheckField, CommaField, TextField } from '../components/fields.dom.tsx';
import { useId } from 'react';

const blankEntry = (order: number): LoreEntry => ({ keys: [], content: '', extensions: {}, enabled: true, insertion_order: order, constant: false, position: 'before_char' });

export function LorebookEditor({ book, onChange }: { book: Lorebook | undefined; onChange(book: Lorebook | undefined): void }) {
  const entries = book?.entries ?? [];
  const setEntries = (next: LoreEntry[]) => onChange({ ...(book ?? { extensions: {} }), entries: next } as Lorebook);
  const update = (i: number, patch: Partial<LoreEntry>) => setEntries(entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  return (
    <fieldset className="list-field lorebook">
      <legend>Lorebook</legend>
      <p className="hint">Entries are added to the prompt when one of their keys appears in recent messages (or always, if constant).</p>
      {entries.map((entry, i) => (
        <fieldset key={i} className="lore-entry">
          <legend>
            Entry {i + 1}
            {entry.keys.length ? `: ${entry.keys.slice(0, 3).join(', ')}` : ''}
          </legend>
          <CommaField label={`Keys for entry ${i + 1}`} values={entry.keys} onChange={(keys) => update(i, { keys })} />
          <TextField label={`Content of entry ${i + 1}`} value={entry.content} multiline rows={3} onChange={(content) => update(i, { content })} />
          <div className="row">
            <CheckField label="Enabled" name={`Entry ${i + 1} enabled`} checked={entry.enabled} onChange={(enabled) => update(i, { enabled })} />
            <CheckField label="Constant (always included)" name={`Entry ${i + 1} constant (always included)`} checked={entry.constant ?? false} onChange={(constant) => update(i, { constant })} />
            <PositionSelect n={i + 1} value={entry.position ?? 'before_char'} onChange={(position) => update(i, { position })} />
            <OrderInput n={i + 1} value={entry.insertion_order} onChange={(insertion_order) => update(i, { insertion_order })} />
          </div>
          <button type="button" className="ghost danger" onClick={() => setEntries(entries.filter((_, j) => j !== i))}>
            Remove entry {i + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => setEntries([...entries, blankEntry(entries.length * 10)])}>
        Add lorebook entry
      </button>
    </fieldset>
  );
}

function PositionSelect({ n, value, onChange }: { n: number; value: 'before_char' | 'after_char'; onChange(v: 'before_char' | 'after_char'): void }) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>Position</label>
      <select id={id} aria-label={`Entry ${n} position`} value={value} onChange={(e) => onChange(e.target.value as 'before_char' | 'after_char')}>
        <option value="before_char">Before character</option>
        <option value="after_char">After character</option>
      </select>
    </div>
  );
}

function OrderInput({ n, value, onChange }: { n: number; value: number; onChange(v: number): void }) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>Order</label>
      <input id={id} type="number" className="narrow" aria-label={`Entry ${n} order`} value={value} onChange={(e) => onChange(Number.isFinite(e.target.valueAsNumber) ? e.target.valueAsNumber : 0)} />
    </div>
  );
}
