import type { PersonaFields } from '../../shared/domain.std.ts';
import { TextField } from '../components/fields.dom.tsx';
import { AvatarPicker } from './avatar-picker.dom.tsx';
import { EditorFrame } from './editor-frame.dom.tsx';
import { useEditor } from './use-editor.dom.ts';

export function PersonaEditor({ id }: { id: string | null }) {
  const ed = useEditor<PersonaFields>('persona', id, { name: '', description: '' });
  const d = ed.draft;
  if (!d) return <p className="muted pad">{ed.error ?? 'Loading…'}</p>;
  return (
    <EditorFrame title={id ? `Edit ${d.name || 'persona'}` : 'New persona'} dirty={ed.dirty} saving={ed.saving} error={ed.error} onSave={() => void ed.save()} aside={<AvatarPicker recordId={ed.id} kind="persona" name={d.name} assetId={d.avatar_asset} onChange={(a) => ed.adopt('avatar_asset', a)} />}>
      <TextField label="Name" value={d.name} required autoFocus={!id} onChange={(v) => ed.set('name', v)} hint="What characters call you ({{user}})." />
      <TextField label="Description" value={d.description} multiline rows={6} onChange={(v) => ed.set('description', v)} hint="Who you are in the story; sent to the AI with your messages." />
    </EditorFrame>
  );
}
