/**
 * Sampler presets: create, edit, duplicate, delete, and import one from SillyTavern. A provider names a default
 * preset (Providers screen); a conversation may choose another (the chat header's "Preset").
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { PresetSampling, PresetView } from '../../shared/api/presets.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { fileToBase64 } from '../lib/bytes.dom.ts';
import { ErrorLine, TextField } from '../components/fields.dom.tsx';
import { confirmDialog } from '../components/dialog.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';

type NumberKey = Exclude<keyof PresetSampling, 'stop' | 'reasoning_effort'>;
const numberFields: { key: NumberKey; label: string; hint: string; integer?: boolean }[] = [
  { key: 'temperature', label: 'Temperature', hint: '0–5. Higher is more varied.' },
  { key: 'top_p', label: 'Top P', hint: '0–1.' },
  { key: 'top_k', label: 'Top K', hint: 'Whole number; local servers.', integer: true },
  { key: 'min_p', label: 'Min P', hint: '0–1; local servers.' },
  { key: 'repetition_penalty', label: 'Repetition penalty', hint: 'Around 1.0–1.3; local servers.' },
  { key: 'frequency_penalty', label: 'Frequency penalty', hint: '−2 to 2.' },
  { key: 'presence_penalty', label: 'Presence penalty', hint: '−2 to 2.' },
  { key: 'seed', label: 'Seed', hint: 'Whole number, for repeatable replies.', integer: true },
  { key: 'max_tokens', label: 'Longest reply (tokens)', hint: 'Whole number.', integer: true },
];
const efforts = ['minimal', 'low', 'medium', 'high'] as const;

interface Draft {
  /** The name it had when editing began; null for a new preset. */
  original: string | null;
  name: string;
  values: Record<NumberKey, string>;
  stop: string;
  effort: string;
}

const toDraft = (p: PresetView | null, name = p?.name ?? ''): Draft => ({
  original: p && name === p.name ? p.name : null,
  name,
  values: Object.fromEntries(numberFields.map((f) => [f.key, p?.sampling[f.key] === undefined ? '' : String(p.sampling[f.key])])) as Record<NumberKey, string>,
  stop: (p?.sampling.stop ?? []).map((s) => s.replaceAll('\n', '\\n')).join('\n'),
  effort: p?.sampling.reasoning_effort ?? '',
});

/** Only what is filled in: a preset sends exactly what it sets. */
function toSampling(d: Draft): PresetSampling | string {
  const out: Record<string, unknown> = {};
  for (const f of numberFields) {
    const raw = d.values[f.key].trim();
    if (raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || (f.integer && !Number.isInteger(n))) return `${f.label} must be ${f.integer ? 'a whole number' : 'a number'}.`;
    out[f.key] = n;
  }
  // One stop string a line; "\n" stands for a line break, as SillyTavern writes them.
  const stop = d.stop.split('\n').filter((s) => s !== '').map((s) => s.replaceAll('\\n', '\n'));
  if (stop.length) out['stop'] = stop;
  if (d.effort) out['reasoning_effort'] = d.effort;
  return out as PresetSampling;
}

const summary = (s: PresetSampling) =>
  [...numberFields.filter((f) => s[f.key] !== undefined).map((f) => `${f.label.toLowerCase()} ${s[f.key]}`), s.stop?.length ? `${s.stop.length} stop string${s.stop.length === 1 ? '' : 's'}` : '', s.reasoning_effort ? `reasoning ${s.reasoning_effort}` : '']
    .filter(Boolean)
    .join(' · ') || 'sends no sampler settings';

export function Presets() {
  const [list, setList] = useState<PresetView[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const toast = useLibrary((s) => s.toast);
  const setDirty = useNav((s) => s.setDirty);

  const reload = useCallback(async () => {
    try {
      setList(await call('preset.list', {}));
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  useEffect(() => setDirty(draft !== null), [draft, setDirty]);

  const open = (d: Draft) => {
    setError(null);
    setDraft(d);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    const sampling = toSampling(draft);
    if (typeof sampling === 'string') return setError(sampling);
    const name = draft.name.trim();
    if (name !== draft.original && list.some((p) => p.name === name)) return setError(`A preset named “${name}” already exists.`);
    try {
      await call('preset.save', { name, sampling });
      // Renamed: the old name goes (providers and conversations that named it fall back to their defaults).
      if (draft.original && draft.original !== name) await call('preset.remove', { name: draft.original });
      setDraft(null);
      toast(`Saved ${name}.`);
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const duplicate = (p: PresetView) => {
    let n = 2;
    while (list.some((x) => x.name === `${p.name} ${n}`)) n++;
    open(toDraft(p, `${p.name} ${n}`));
  };

  const remove = async (p: PresetView) => {
    if (!(await confirmDialog({ title: `Delete ${p.name}?`, body: `Delete the preset “${p.name}”? Providers and conversations that use it will need another.`, confirm: 'Delete preset', danger: true }))) return;
    try {
      await call('preset.remove', { name: p.name });
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const importFile = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    setError(null);
    try {
      const report = await call('import.files', { files: [{ path: file.name, bytesBase64: await fileToBase64(file) }] });
      if (report.imported.presets > 0) toast(`Imported ${file.name}.`);
      else setError(`${file.name} was not imported: ${report.skipped[0]?.reason ?? 'it holds no preset.'}`);
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const set = (k: NumberKey) => (v: string) => setDraft((d) => (d ? { ...d, values: { ...d.values, [k]: v } } : d));

  return (
    <div className="page">
      <header className="page-head">
        <h1>Presets</h1>
        <div className="row">
          <button type="button" className="primary" onClick={() => open(toDraft(null))}>
            New preset
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
            Import a SillyTavern preset…
          </button>
          <input ref={fileInput} type="file" hidden accept=".json" data-testid="preset-import" onChange={(e) => void importFile(e.target.files).then(() => (e.target.value = ''))} />
        </div>
      </header>
      <p className="muted">
        A preset holds sampler settings. A reply sends exactly what its preset sets and nothing else. Each provider can have a default preset (under Providers); a conversation can choose
        another in its header.
      </p>
      <ErrorLine text={error} />
      {draft ? (
        <form className="card preset-form" onSubmit={save} aria-label={draft.original ? `Edit ${draft.original}` : 'New preset'}>
          <TextField label="Name" value={draft.name} onChange={(v) => setDraft({ ...draft, name: v })} required autoFocus />
          <div className="preset-grid">
            {numberFields.map((f) => (
              <TextField key={f.key} label={f.label} type="number" value={draft.values[f.key]} onChange={set(f.key)} hint={f.hint} placeholder="not sent" />
            ))}
            <div className="field">
              <label htmlFor="preset-effort">Reasoning effort</label>
              <select id="preset-effort" value={draft.effort} onChange={(e) => setDraft({ ...draft, effort: e.target.value })}>
                <option value="">not sent</option>
                {efforts.map((e) => (
                  <option key={e} value={e}>
                    {e}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <TextField label="Stop strings" multiline rows={3} value={draft.stop} onChange={(v) => setDraft({ ...draft, stop: v })} hint="One a line; write \n for a line break." />
          <div className="row">
            <button type="submit" className="primary">
              Save preset
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      {list.length === 0 ? <p className="empty">No presets yet. Create one, or import your SillyTavern presets.</p> : null}
      <ul className="provider-list">
        {list.map((p) => (
          <li key={p.name} className="provider">
            <div className="provider-text">
              <strong>{p.name}</strong>
              <span className="muted small">{summary(p.sampling)}</span>
            </div>
            <div className="entry-actions">
              <button type="button" aria-label={`Edit ${p.name}`} onClick={() => open(toDraft(p))}>
                Edit
              </button>
              <button type="button" aria-label={`Duplicate ${p.name}`} onClick={() => duplicate(p)}>
                Duplicate
              </button>
              <button type="button" className="danger" aria-label={`Delete ${p.name}`} onClick={() => void remove(p)}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
