/**
 * A lorebook of its own (World Info): name, scanning and budget, where it is in force (everywhere, with
 * characters, with personas — a chat's own books are chosen in the chat), and its entries.
 */
import { useEffect, useId, useState } from 'react';
import type { Lorebook, LorebookFields } from '../../shared/domain.std.ts';
import { CheckField, TextField } from '../components/fields.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { EditorFrame } from './editor-frame.dom.tsx';
import { LorebookEditor } from './lorebook.dom.tsx';
import { useEditor } from './use-editor.dom.ts';

const blank: LorebookFields = { name: '', entries: [], extensions: {}, characterIds: [], personaIds: [] };

export function LorebookRecordEditor({ id }: { id: string | null }) {
  const ed = useEditor<LorebookFields>('lorebook', id, blank);
  const entries = useLibrary((s) => s.entries);
  const toast = useLibrary((s) => s.toast);
  const [global, setGlobal] = useState<string[] | null>(null);
  const scanId = useId();
  const budgetId = useId();
  useEffect(() => {
    void call('settings.get', {}).then((p) => setGlobal(p.globalLorebookIds ?? []), (e) => toast(messageOf(e), 'error'));
  }, [toast]);
  const d = ed.draft;
  if (!d) return <p className="muted pad">{ed.error ?? 'Loading…'}</p>;
  const characters = entries.filter((e) => e.kind === 'character');
  const personas = entries.filter((e) => e.kind === 'persona');
  const bookId = ed.id;
  const setGlobalOn = (on: boolean) => {
    if (!bookId || !global) return;
    const next = on ? [...global, bookId] : global.filter((x) => x !== bookId);
    void call('settings.update', { globalLorebookIds: next }).then((p) => setGlobal(p.globalLorebookIds ?? []), (e) => toast(messageOf(e), 'error'));
  };
  const num = (v: string) => (v.trim() === '' ? undefined : Math.max(0, Math.floor(Number(v)) || 0));
  return (
    <EditorFrame title={id ? `Edit ${d.name || 'lorebook'}` : 'New lorebook'} dirty={ed.dirty} saving={ed.saving} error={ed.error} onSave={() => void ed.save()}>
      <TextField label="Name" value={d.name} required autoFocus={!id} onChange={(v) => ed.set('name', v)} />
      <div className="row">
        <div className="field inline">
          <label htmlFor={scanId}>Scan depth</label>
          <input id={scanId} type="number" min={0} className="narrow" placeholder="2" value={d.scan_depth ?? ''} onChange={(e) => ed.set('scan_depth', num(e.target.value))} />
        </div>
        <div className="field inline">
          <label htmlFor={budgetId}>Token budget</label>
          <input id={budgetId} type="number" min={0} className="narrow" placeholder="25 %" title="Default: a quarter of the prompt" value={d.token_budget ?? ''} onChange={(e) => ed.set('token_budget', num(e.target.value))} />
        </div>
        <CheckField label="Recursive scanning (entries can trigger entries)" checked={d.recursive_scanning ?? false} onChange={(v) => ed.set('recursive_scanning', v)} />
      </div>
      <fieldset className="list-field">
        <legend>In force</legend>
        {bookId && global ? (
          <CheckField label="In every conversation" checked={global.includes(bookId)} onChange={setGlobalOn} />
        ) : (
          <p className="hint">Save the lorebook to use it in every conversation.</p>
        )}
        <p className="hint">Whenever one of these characters speaks:</p>
        <div className="checks">
          {characters.map((c) => (
            <CheckField key={c.id} label={c.title || 'Untitled'} checked={d.characterIds.includes(c.id)} onChange={(on) => ed.set('characterIds', on ? [...d.characterIds, c.id] : d.characterIds.filter((x) => x !== c.id))} />
          ))}
        </div>
        <p className="hint">Whenever you play one of these personas:</p>
        <div className="checks">
          {personas.map((p) => (
            <CheckField key={p.id} label={p.title || 'Untitled'} checked={d.personaIds.includes(p.id)} onChange={(on) => ed.set('personaIds', on ? [...d.personaIds, p.id] : d.personaIds.filter((x) => x !== p.id))} />
          ))}
        </div>
      </fieldset>
      <LorebookEditor book={d as Lorebook} onChange={(b) => ed.set('entries', b?.entries ?? [])} />
    </EditorFrame>
  );
}
