/**
 * The global regex scripts (SillyTavern's format): a list in run order, an editor for every field SillyTavern has,
 * and import/export of SillyTavern's JSON (one script per file, or a list). Saved whole on every change.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { scriptProblem } from '../../shared/regex/engine.std.ts';
import { parseRegexScripts, RegexScript, regexPlacement } from '../../shared/regex/script.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { bytesToBase64, downloadBytes } from '../lib/bytes.dom.ts';
import { TextField } from '../components/fields.dom.tsx';
import { useLibrary } from '../stores/library.dom.ts';
import '../chat/regex.css';

const placements: Array<[number, string]> = [
  [regexPlacement.userInput, 'User input'],
  [regexPlacement.aiOutput, 'AI output'],
  [regexPlacement.worldInfo, 'World info'],
  [regexPlacement.reasoning, 'Reasoning'],
];

const blank = (): RegexScript => RegexScript.parse({ findRegex: '', placement: [regexPlacement.aiOutput] });

function download(name: string, value: unknown): void {
  downloadBytes(name, 'application/json', bytesToBase64(new TextEncoder().encode(JSON.stringify(value, null, 2))));
}

const fileName = (s: string) => `${s.replace(/[^\p{L}\p{N} _-]/gu, '').trim() || 'regex'}.json`;

export function RegexScripts() {
  const toast = useLibrary((s) => s.toast);
  const [scripts, setScripts] = useState<RegexScript[] | null>(null);
  const [consent, setConsent] = useState<Record<string, boolean>>({});
  const entries = useLibrary((s) => s.entries);
  const [editing, setEditing] = useState<{ index: number; script: RegexScript } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void call('regex.list', {}).then((r) => (setScripts(r.scripts), setConsent(r.consent)), (e: unknown) => toast(messageOf(e), 'error'));
  }, [toast]);

  const save = async (next: RegexScript[]): Promise<boolean> => {
    try {
      setScripts(await call('regex.save', { scripts: next }));
      return true;
    } catch (e) {
      toast(messageOf(e), 'error');
      return false;
    }
  };

  const decide = async (characterId: string, allowed: boolean | null) => {
    try {
      await call('regex.consent', { characterId, allowed });
      setConsent((c) => {
        const next = { ...c };
        if (allowed === null) delete next[characterId];
        else next[characterId] = allowed;
        return next;
      });
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const importFile = async (file: File) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      return toast(`${file.name} is not JSON.`, 'error');
    }
    const { scripts: found, rejected } = parseRegexScripts(parsed);
    if (found.length === 0) return toast(`${file.name} holds no regex script.`, 'error');
    if (await save([...(scripts ?? []), ...found.map((s) => ({ ...s, id: '' }))]))
      toast(`Imported ${found.length === 1 ? 'a script' : `${found.length} scripts`}${rejected ? ` (${rejected} could not be read)` : ''}.`);
  };

  if (scripts === null) return <p className="muted">Loading…</p>;
  return (
    <div>
      <p className="muted small">Scripts run in this order on every conversation, before any character's own scripts. Patterns run on a safe engine: look-ahead and back-references are not supported.</p>
      {scripts.length === 0 ? <p className="muted">No regex scripts yet.</p> : null}
      <ul className="regex-list" aria-label="Regex scripts">
        {scripts.map((s, i) => {
          const problem = scriptProblem(s);
          return (
            <li key={s.id || i}>
              <label className="regex-name">
                <input type="checkbox" checked={!s.disabled} onChange={() => void save(scripts.map((x, j) => (j === i ? { ...x, disabled: !x.disabled } : x)))} /> {s.scriptName || s.findRegex || 'Untitled'}
              </label>
              {problem ? <span className="error small">{problem}</span> : null}
              <button type="button" onClick={() => setEditing({ index: i, script: s })} aria-label={`Edit ${s.scriptName || 'script'}`}>
                Edit
              </button>
              <button type="button" disabled={i === 0} onClick={() => void save(scripts.map((x, j) => (j === i - 1 ? s : j === i ? scripts[i - 1]! : x)))} aria-label={`Move ${s.scriptName || 'script'} up`}>
                ↑
              </button>
              <button type="button" onClick={() => download(fileName(s.scriptName), s)} aria-label={`Export ${s.scriptName || 'script'}`}>
                Export
              </button>
              <button type="button" className="danger" onClick={() => void save(scripts.filter((_, j) => j !== i))} aria-label={`Delete ${s.scriptName || 'script'}`}>
                Delete
              </button>
            </li>
          );
        })}
      </ul>
      <div className="row">
        <button type="button" onClick={() => setEditing({ index: -1, script: blank() })}>
          New script
        </button>
        <button type="button" onClick={() => fileInput.current?.click()}>
          Import…
        </button>
        <input ref={fileInput} type="file" hidden accept=".json,application/json" data-testid="regex-import" onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void importFile(f);
        }} />
        {scripts.length > 0 ? (
          <button type="button" onClick={() => download('regex-scripts.json', scripts)}>
            Export all
          </button>
        ) : null}
      </div>
      {Object.keys(consent).length > 0 ? (
        <>
          <h3>Characters' own scripts</h3>
          <ul className="regex-list" aria-label="Characters' own scripts">
            {Object.entries(consent).map(([id, allowed]) => {
              const name = entries.find((e) => e.id === id)?.title ?? 'A deleted character';
              return (
                <li key={id}>
                  <span className="regex-name">
                    {name}: {allowed ? 'allowed' : 'not run'}
                  </span>
                  <button type="button" onClick={() => void decide(id, !allowed)} aria-label={`${allowed ? 'Stop running' : 'Run'} ${name}'s scripts`}>
                    {allowed ? 'Stop running' : 'Run them'}
                  </button>
                  <button type="button" onClick={() => void decide(id, null)} aria-label={`Ask again about ${name}'s scripts`}>
                    Ask again
                  </button>
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
      {editing ? (
        <ScriptForm
          key={editing.index}
          initial={editing.script}
          onCancel={() => setEditing(null)}
          onSave={async (s) => {
            const next = editing.index < 0 ? [...scripts, s] : scripts.map((x, j) => (j === editing.index ? s : x));
            if (await save(next)) setEditing(null);
          }}
        />
      ) : null}
    </div>
  );
}

function ScriptForm({ initial, onSave, onCancel }: { initial: RegexScript; onSave(s: RegexScript): Promise<void>; onCancel(): void }) {
  const [s, setS] = useState(initial);
  const set = <K extends keyof RegexScript>(k: K, v: RegexScript[K]) => setS((x) => ({ ...x, [k]: v }));
  const depth = (v: string) => (v.trim() === '' ? null : Math.max(-1, Math.trunc(Number(v)) || 0));
  const problem = s.findRegex ? scriptProblem(s) : null;
  const substituteId = useId();
  return (
    <form className="regex-form card" aria-label="Regex script" onSubmit={(e) => {
      e.preventDefault();
      void onSave(s);
    }}>
      <TextField label="Script name" value={s.scriptName} onChange={(v) => set('scriptName', v)} />
      <TextField label="Find (pattern, /…/flags)" value={s.findRegex} onChange={(v) => set('findRegex', v)} required hint={problem ? <span className="problem">{problem}</span> : 'For example /\\*(.+?)\\*/g'} />
      <TextField label="Replace with" multiline rows={4} value={s.replaceString} onChange={(v) => set('replaceString', v)} hint="{{match}} is the whole match, $1 the first group; macros such as {{char}} and {{user}} are filled in." />
      <TextField label="Trim out (one per line)" multiline rows={2} value={s.trimStrings.join('\n')} onChange={(v) => set('trimStrings', v.split('\n').filter((t) => t !== ''))} />
      <fieldset>
        <legend>Applies to</legend>
        {placements.map(([p, label]) => (
          <label key={p}>
            <input type="checkbox" checked={s.placement.includes(p)} onChange={(e) => set('placement', e.target.checked ? [...s.placement, p] : s.placement.filter((x) => x !== p))} /> {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Changes</legend>
        <label>
          <input type="checkbox" checked={s.markdownOnly} onChange={(e) => set('markdownOnly', e.target.checked)} /> Only what is shown
        </label>
        <label>
          <input type="checkbox" checked={s.promptOnly} onChange={(e) => set('promptOnly', e.target.checked)} /> Only what is sent
        </label>
        <label>
          <input type="checkbox" checked={s.disabled} onChange={(e) => set('disabled', e.target.checked)} /> Turned off
        </label>
      </fieldset>
      <div className="row">
        <TextField label="Min depth" type="number" value={s.minDepth === null ? '' : String(s.minDepth)} onChange={(v) => set('minDepth', depth(v))} hint="0 is the newest message; empty: no limit" />
        <TextField label="Max depth" type="number" value={s.maxDepth === null ? '' : String(s.maxDepth)} onChange={(v) => set('maxDepth', depth(v))} />
        <div className="field">
          <label htmlFor={substituteId}>Macros in the pattern</label>
          <select id={substituteId} value={s.substituteRegex} onChange={(e) => set('substituteRegex', Number(e.target.value) as 0 | 1 | 2)}>
            <option value={0}>Left as written</option>
            <option value={1}>Filled in</option>
            <option value={2}>Filled in, escaped</option>
          </select>
        </div>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={!s.findRegex}>
          Save script
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
