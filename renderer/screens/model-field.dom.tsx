/**
 * The provider editor's Model field: free text, with the endpoint's own model list (`/models`) offered as
 * suggestions once asked for. Many local servers list nothing useful, so typing always works.
 */
import { useId, useState } from 'react';
import type { InputOf } from '../../shared/api/contract.std.ts';
import type { Commands } from '../../shared/api/index.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { TextField } from '../components/fields.dom.tsx';

export function ModelField({ value, onChange, source }: { value: string; onChange(v: string): void; source: InputOf<Commands['provider.models']> }) {
  const listId = useId();
  const [models, setModels] = useState<string[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    setNote(null);
    try {
      const r = await call('provider.models', source);
      setModels(r.models);
      setNote(r.models.length === 0 ? 'The server lists no models: type the name.' : `${r.models.length} model${r.models.length === 1 ? '' : 's'} offered as you type.`);
    } catch (e) {
      setNote(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <TextField label="Model" value={value} onChange={onChange} required list={listId} hint={note ?? undefined} />
      <datalist id={listId}>
        {models.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <button type="button" className="small" onClick={() => void load()} disabled={busy || (!source.name && !source.baseUrl)}>
        {busy ? 'Asking the server…' : 'List the server\'s models'}
      </button>
    </>
  );
}
