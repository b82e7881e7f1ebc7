/** Every Character Card field, grouped the way card authors think about them. */
import type { CharacterFields } from '../../shared/domain.std.ts';
import { CommaField, TextField, TextListField } from '../components/fields.dom.tsx';
import { AvatarPicker } from './avatar-picker.dom.tsx';
import { GeneratePortrait } from './portrait.dom.tsx';
import { EditorFrame } from './editor-frame.dom.tsx';
import { LorebookEditor } from './lorebook.dom.tsx';
import { useEditor } from './use-editor.dom.ts';
import { CharacterProfile } from './character-profile.dom.tsx';

const blank: CharacterFields = {
  name: '',
  description: '',
  personality: '',
  scenario: '',
  first_mes: '',
  mes_example: '',
  creator_notes: '',
  system_prompt: '',
  post_history_instructions: '',
  alternate_greetings: [],
  group_only_greetings: [],
  tags: [],
  creator: '',
  character_version: '',
  extensions: {},
  card_extra: {},
};

export function CharacterEditor({ id }: { id: string | null }) {
  const ed = useEditor<CharacterFields>('character', id, blank);
  const d = ed.draft;
  if (!d) return <p className="muted pad">{ed.error ?? 'Loading…'}</p>;
  const text = (key: keyof CharacterFields, label: string, rows = 4, hint?: string) => (
    <TextField label={label} value={(d[key] as string) ?? ''} multiline rows={rows} hint={hint} onChange={(v) => ed.set(key, v as never)} />
  );
  return (
    <EditorFrame
      title={id ? `Edit ${d.name || 'character'}` : 'New character'}
      dirty={ed.dirty}
      saving={ed.saving}
      error={ed.error}
      onSave={() => void ed.save()}
      intro={id ? <CharacterProfile id={id} d={d} /> : undefined}
      aside={
        <>
          <AvatarPicker recordId={ed.id} kind="character" name={d.name} assetId={d.avatar_asset} onChange={(a) => ed.adopt('avatar_asset', a)} />
          <GeneratePortrait recordId={ed.id} onGenerated={(a) => ed.adopt('avatar_asset', a)} />
          <TextField label="Creator" value={d.creator} onChange={(v) => ed.set('creator', v)} />
          <TextField label="Version" value={d.character_version} onChange={(v) => ed.set('character_version', v)} />
          <CommaField label="Tags" values={d.tags} onChange={(v) => ed.set('tags', v)} />
          {text('creator_notes', 'Creator notes', 4, 'Shown to people using the card; never sent to the AI.')}
        </>
      }
    >
      <TextField label="Name" value={d.name} required autoFocus={!id} onChange={(v) => ed.set('name', v)} />
      {text('description', 'Description', 6)}
      {text('personality', 'Personality', 3)}
      {text('scenario', 'Scenario', 3)}
      {text('first_mes', 'First message', 5)}
      <TextListField label="Alternate greetings" itemLabel="Greeting" items={d.alternate_greetings} onChange={(v) => ed.set('alternate_greetings', v)} />
      {text('mes_example', 'Example dialogue', 5, 'Use <START> to separate examples, {{char}} and {{user}} for names.')}
      {text('system_prompt', 'System prompt', 4, '{{original}} stands for the default system prompt.')}
      {text('post_history_instructions', 'Post-history instructions', 3)}
      <LorebookEditor book={d.character_book} onChange={(b) => ed.set('character_book', b)} />
    </EditorFrame>
  );
}
