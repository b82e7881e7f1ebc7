/** The author's note's fields (text, depth, role, how often): a chat's own note and the default for new chats. */
import { useId, type ReactNode } from 'react';
import type { AuthorsNote } from '../../shared/domain.std.ts';
import { TextField } from './fields.dom.tsx';

export const blankNote: AuthorsNote = { text: '', depth: 4, role: 'system', every: 1 };

const whole = (v: string, d: number) => (Number.isFinite(Number(v)) && v.trim() !== '' ? Math.max(0, Math.min(1000, Math.floor(Number(v)))) : d);

/** `children` go at the end of the row of numbers (a Save button). */
export function AuthorsNoteFields(p: { label: string; hint: string; note: AuthorsNote; onChange(note: AuthorsNote): void; children?: ReactNode }) {
  const { note, onChange } = p;
  const depthId = useId();
  const everyId = useId();
  const roleId = useId();
  return (
    <>
      <TextField label={p.label} value={note.text} multiline rows={2} onChange={(text) => onChange({ ...note, text })} hint={p.hint} />
      <div className="row">
        <div className="field inline">
          <label htmlFor={depthId}>Depth</label>
          <input id={depthId} type="number" min={0} className="narrow" value={note.depth} onChange={(e) => onChange({ ...note, depth: whole(e.target.value, 4) })} />
        </div>
        <div className="field inline">
          <label htmlFor={roleId}>As</label>
          <select id={roleId} value={note.role} onChange={(e) => onChange({ ...note, role: e.target.value as AuthorsNote['role'] })}>
            <option value="system">system</option>
            <option value="user">user</option>
            <option value="assistant">assistant</option>
          </select>
        </div>
        <div className="field inline">
          <label htmlFor={everyId}>Every N turns</label>
          <input id={everyId} type="number" min={0} className="narrow" value={note.every} onChange={(e) => onChange({ ...note, every: whole(e.target.value, 1) })} />
        </div>
        {p.children}
      </div>
    </>
  );
}
