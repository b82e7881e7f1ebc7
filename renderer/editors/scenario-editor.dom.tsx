/** A scenario: setting, cast, opening messages, the persona the user plays, and its own lorebook. */
import { useId } from 'react';
import type { ScenarioFields } from '../../shared/domain.std.ts';
import { CheckField, TextField, TextListField } from '../components/fields.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import { EditorFrame } from './editor-frame.dom.tsx';
import { LorebookEditor } from './lorebook.dom.tsx';
import { useEditor } from './use-editor.dom.ts';
import { PublishPanel } from '../gallery/publish-panel.dom.tsx';

export function ScenarioEditor({ id }: { id: string | null }) {
  const ed = useEditor<ScenarioFields>('scenario', id, { title: '', setting: '', characterIds: [], openingMessages: [] });
  const entries = useLibrary((s) => s.entries);
  const personaSelect = useId();
  const d = ed.draft;
  if (!d) return <p className="muted pad">{ed.error ?? 'Loading…'}</p>;
  const characters = entries.filter((e) => e.kind === 'character');
  const personas = entries.filter((e) => e.kind === 'persona');
  return (
    <EditorFrame title={id ? `Edit ${d.title || 'scenario'}` : 'New scenario'} dirty={ed.dirty} saving={ed.saving} error={ed.error} onSave={() => void ed.save()} intro={id ? <PublishPanel recordId={id} kind="scenario" name={d.title} /> : undefined}>
      <TextField label="Title" value={d.title} required autoFocus={!id} onChange={(v) => ed.set('title', v)} />
      <TextField label="Setting" value={d.setting} multiline rows={6} onChange={(v) => ed.set('setting', v)} hint="Where and when the story happens; sent to the AI." />
      <fieldset className="list-field">
        <legend>Characters</legend>
        {characters.length === 0 ? <p className="muted">Create characters first; they will be listed here.</p> : null}
        <div className="checks">
          {characters.map((c) => (
            <CheckField
              key={c.id}
              label={c.title || 'Untitled'}
              checked={d.characterIds.includes(c.id)}
              onChange={(on) => ed.set('characterIds', on ? [...d.characterIds, c.id] : d.characterIds.filter((x) => x !== c.id))}
            />
          ))}
        </div>
      </fieldset>
      <div className="field">
        <label htmlFor={personaSelect}>You play as</label>
        <select id={personaSelect} value={d.personaId ?? ''} onChange={(e) => ed.set('personaId', e.target.value || undefined)}>
          <option value="">Your default persona</option>
          {personas.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </select>
      </div>
      <TextListField label="Opening messages" itemLabel="Opening message" items={d.openingMessages} onChange={(v) => ed.set('openingMessages', v)} />
      <LorebookEditor book={d.lorebook} onChange={(b) => ed.set('lorebook', b)} />
    </EditorFrame>
  );
}
