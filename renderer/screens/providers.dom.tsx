/** AI providers: presets (cloud and local servers), add, edit, test connection, reorder (fallback order), remove. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ProviderPreset, ProviderView } from '../../shared/api/chat.std.ts';
import type { TemplatesView } from '../../shared/api/presets.std.ts';
import { PresetField } from '../components/preset-field.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { TextField, ErrorLine } from '../components/fields.dom.tsx';
import { confirmDialog } from '../components/dialog.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import { ModelField } from './model-field.dom.tsx';

interface Draft {
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  contextWindow: string;
  completion: 'chat' | 'text';
}
const empty: Draft = { name: '', baseUrl: '', model: '', apiKey: '', contextWindow: '8192', completion: 'chat' };

export function Providers() {
  const [list, setList] = useState<ProviderView[]>([]);
  const [presets, setPresets] = useState<ProviderPreset[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, { ok: boolean; message: string } | 'running'>>({});
  const [editing, setEditing] = useState<string | null>(null);
  const toast = useLibrary((s) => s.toast);

  const reload = useCallback(async () => {
    try {
      setList(await call('provider.list', {}));
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);

  useEffect(() => {
    void reload();
    void call('provider.presets', {}).then(setPresets, () => setPresets([]));
  }, [reload]);

  const usePreset = (p: ProviderPreset) =>
    setDraft({ name: list.some((x) => x.name === p.label) ? `${p.label} 2` : p.label, baseUrl: p.baseUrl, model: p.model, apiKey: '', contextWindow: String(p.contextWindow), completion: p.completion ?? 'chat' });

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setError(null);
    const apiKey = draft.apiKey.trim();
    try {
      await call('provider.add', {
        name: draft.name.trim(),
        baseUrl: draft.baseUrl.trim(),
        model: draft.model.trim(),
        ...(apiKey ? { apiKey } : {}),
        contextWindow: Number(draft.contextWindow) || 8192,
        completion: draft.completion,
      });
      // The key went to the core; the renderer keeps no copy.
      setDraft(null);
      toast(`Added ${draft.name.trim()}.`);
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: 'running' }));
    try {
      const r = await call('provider.test', { name });
      setTests((t) => ({ ...t, [name]: { ok: r.ok, message: r.ok ? `Works (${r.latencyMs} ms).` : r.message } }));
    } catch (err) {
      setTests((t) => ({ ...t, [name]: { ok: false, message: messageOf(err) } }));
    }
  };

  const move = async (i: number, delta: number) => {
    const names = list.map((p) => p.name);
    const j = i + delta;
    if (j < 0 || j >= names.length) return;
    [names[i], names[j]] = [names[j]!, names[i]!];
    try {
      await call('provider.order', { names });
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const remove = async (name: string) => {
    if (!(await confirmDialog({ title: `Remove ${name}?`, body: `Remove the provider “${name}”? Its API key is deleted too.`, confirm: 'Remove provider', danger: true }))) return;
    try {
      await call('provider.remove', { name });
      await reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const set = (k: keyof Draft) => (v: string) => setDraft((d) => (d ? { ...d, [k]: v } : d));

  return (
    <div className="page">
      <header className="page-head">
        <h1>AI providers</h1>
      </header>
      <p className="muted">
        Mindstage sends a conversation only to the provider you choose, for the reply you asked for, with no identity attached. Providers are tried in this order; if one is down or
        busy before its first word, the next one answers.
      </p>
      <ErrorLine text={error} />
      {list.length === 0 ? <p className="empty">No providers yet. Pick a preset below — a local server such as Ollama keeps everything on this computer.</p> : null}
      <ol className="provider-list">
        {list.map((p, i) => {
          const t = tests[p.name];
          return (
            <li key={p.name} className={editing === p.name ? 'provider editing' : 'provider'}>
              <div className="provider-text">
                <strong>{p.name}</strong>
                <span className="muted small">
                  {p.model} · {p.baseUrl} · {p.hasApiKey ? 'API key saved' : 'no API key'}
                  {p.preset ? ` · preset ${p.preset}` : ''}
                  {p.completion === 'text' ? ` · text completion (${p.instruct ?? 'template from the model name'})` : ''}
                </span>
                {t ? (
                  <span className={`small ${t === 'running' ? 'muted' : t.ok ? 'ok' : 'error'}`} role="status">
                    {t === 'running' ? 'Testing…' : t.message}
                  </span>
                ) : null}
              </div>
              <div className="entry-actions">
                <button type="button" aria-label={`Test connection to ${p.name}`} onClick={() => void test(p.name)} disabled={t === 'running'}>
                  Test connection
                </button>
                <button type="button" aria-expanded={editing === p.name} aria-label={`Edit ${p.name}`} onClick={() => setEditing(editing === p.name ? null : p.name)}>
                  Edit
                </button>
                <button type="button" className="icon" aria-label={`Move ${p.name} up`} disabled={i === 0} onClick={() => void move(i, -1)}>
                  ↑
                </button>
                <button type="button" className="icon" aria-label={`Move ${p.name} down`} disabled={i === list.length - 1} onClick={() => void move(i, 1)}>
                  ↓
                </button>
                <button type="button" className="danger" aria-label={`Remove ${p.name}`} onClick={() => void remove(p.name)}>
                  Remove
                </button>
              </div>
              {editing === p.name ? (
                <EditProvider
                  provider={p}
                  onDone={async (saved) => {
                    setEditing(null);
                    if (saved) {
                      toast(`Saved ${p.name}.`);
                      await reload();
                    }
                  }}
                />
              ) : null}
            </li>
          );
        })}
      </ol>

      <section aria-labelledby="add-provider">
        <h2 id="add-provider">Add a provider</h2>
        <div className="presets">
          {presets.map((p) => (
            <button key={p.id} type="button" onClick={() => usePreset(p)}>
              {p.label}
              {p.local && !/local/i.test(p.label) ? <span className="badge">local</span> : null}
            </button>
          ))}
          <button type="button" onClick={() => setDraft({ ...empty })}>
            Custom…
          </button>
        </div>
        {draft ? (
          <form className="card provider-form" onSubmit={add}>
            <TextField label="Name" value={draft.name} onChange={set('name')} required autoFocus />
            <TextField label="Base URL" type="url" value={draft.baseUrl} onChange={set('baseUrl')} required hint="An OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama." />
            <ModelField value={draft.model} onChange={set('model')} source={{ ...(draft.baseUrl ? { baseUrl: draft.baseUrl } : {}), ...(draft.apiKey ? { apiKey: draft.apiKey } : {}) }} />
            <TextField label="API key" type="password" value={draft.apiKey} onChange={set('apiKey')} autoComplete="off" hint="Stored encrypted in your vault; never shown again. Leave empty for local servers." />
            <TextField label="Context window (tokens)" type="number" value={draft.contextWindow} onChange={set('contextWindow')} />
            <PromptFormatField id="new-provider-completion" value={draft.completion} onChange={(completion) => setDraft({ ...draft, completion })} />
            <div className="row">
              <button type="submit" className="primary">
                Add provider
              </button>
              <button type="button" onClick={() => setDraft(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
      </section>
    </div>
  );
}

function EditProvider({ provider, onDone }: { provider: ProviderView; onDone(saved: boolean): Promise<void> }) {
  const [baseUrl, setBaseUrl] = useState(provider.baseUrl);
  const [model, setModel] = useState(provider.model);
  const [apiKey, setApiKey] = useState('');
  const [dropKey, setDropKey] = useState(false);
  const [contextWindow, setContextWindow] = useState(String(provider.contextWindow));
  const [maxTokens, setMaxTokens] = useState(String(provider.maxTokens));
  const [preset, setPreset] = useState(provider.preset ?? '');
  const [completion, setCompletion] = useState(provider.completion);
  const [instruct, setInstruct] = useState(provider.instruct ?? '');
  const [templates, setTemplates] = useState<TemplatesView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void call('template.list', {}).then(setTemplates, () => setTemplates(null));
  }, []);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const patch: { baseUrl?: string; model?: string; apiKey?: string | null; contextWindow?: number; maxTokens?: number; preset?: string | null; completion?: 'chat' | 'text'; instruct?: string | null } = {};
    if (preset !== (provider.preset ?? '')) patch.preset = preset || null;
    if (completion !== provider.completion) patch.completion = completion;
    if (instruct !== (provider.instruct ?? '')) patch.instruct = instruct || null;
    if (baseUrl.trim() !== provider.baseUrl) patch.baseUrl = baseUrl.trim();
    if (model.trim() !== provider.model) patch.model = model.trim();
    if (dropKey) patch.apiKey = null;
    else if (apiKey.trim()) patch.apiKey = apiKey.trim();
    if (Number(contextWindow) !== provider.contextWindow) patch.contextWindow = Number(contextWindow);
    if (Number(maxTokens) !== provider.maxTokens) patch.maxTokens = Number(maxTokens);
    if (Object.keys(patch).length === 0) return void onDone(false);
    try {
      await call('provider.update', { name: provider.name, patch });
      setApiKey('');
      await onDone(true);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <form className="provider-edit" onSubmit={save} aria-label={`Edit ${provider.name}`}>
      <TextField label="Base URL" type="url" value={baseUrl} onChange={setBaseUrl} required />
      <ModelField value={model} onChange={setModel} source={{ name: provider.name }} />
      <TextField
        label={provider.hasApiKey ? 'New API key' : 'API key'}
        type="password"
        value={apiKey}
        onChange={setApiKey}
        hint={provider.hasApiKey ? 'Leave empty to keep the saved key.' : 'Leave empty for local servers.'}
      />
      {provider.hasApiKey ? (
        <div className="check">
          <input id={`drop-key-${provider.name}`} type="checkbox" checked={dropKey} onChange={(e) => setDropKey(e.target.checked)} />
          <label htmlFor={`drop-key-${provider.name}`}>Delete the saved API key</label>
        </div>
      ) : null}
      <div className="row">
        <TextField label="Context window (tokens)" type="number" value={contextWindow} onChange={setContextWindow} />
        <TextField label="Longest reply (tokens)" type="number" value={maxTokens} onChange={setMaxTokens} />
      </div>
      <div className="row">
        <PresetField label="Default preset" noneLabel="None (the provider's own settings)" value={preset} onChange={setPreset} always />
        <PromptFormatField id={`completion-${provider.name}`} value={completion} onChange={setCompletion} />
        {completion === 'text' ? (
          <div className="field">
            <label htmlFor={`instruct-${provider.name}`}>Instruct template</label>
            <select id={`instruct-${provider.name}`} value={instruct} onChange={(e) => setInstruct(e.target.value)}>
              <option value="">Chosen from the model name</option>
              {(templates?.instruct ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                  {t.builtin ? '' : ' (imported)'}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      <ErrorLine text={error} />
      <div className="row">
        <button type="submit" className="primary">
          Save changes
        </button>
        <button type="button" onClick={() => void onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Chat messages, or one prompt in the model's instruct format for local text-completion servers. */
function PromptFormatField({ id, value, onChange }: { id: string; value: 'chat' | 'text'; onChange(v: 'chat' | 'text'): void }) {
  return (
    <div className="field">
      <label htmlFor={id}>Prompt format</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as 'chat' | 'text')}>
        <option value="chat">Chat messages</option>
        <option value="text">Text completion with an instruct template (local models)</option>
      </select>
    </div>
  );
}
