/**
 * Settings for lorebooks everywhere (SillyTavern's global World Info settings: recursion, scan depth, budget, min
 * activations, matching defaults) and the author's note new chats start with. Each number is saved once it is a
 * valid value; the note when the user says so.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { PreferencesView, WorldInfoSettings as Globals } from '../../shared/api/chat.std.ts';
import type { AuthorsNote } from '../../shared/domain.std.ts';
import { CheckField } from '../components/fields.dom.tsx';
import { AuthorsNoteFields, blankNote } from '../components/authors-note-fields.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

type NumberKey = 'scanDepth' | 'budgetPercent' | 'maxRecursionSteps' | 'minActivations' | 'minActivationsDepthMax';
const numbers: Array<{ key: NumberKey; label: string; hint: string; min: number; max: number; unset: number }> = [
  { key: 'scanDepth', label: 'Messages scanned for keys', hint: 'How many of the newest messages a lorebook looks at, unless the book says otherwise.', min: 0, max: 1000, unset: 2 },
  { key: 'budgetPercent', label: 'Lorebook share of the prompt (%)', hint: 'How much of the prompt one lorebook may fill, unless the book sets its own budget.', min: 1, max: 100, unset: 25 },
  { key: 'maxRecursionSteps', label: 'Rounds of entries triggering entries', hint: '0 lets it go on up to 10 rounds. While this is set, the minimum below is off.', min: 0, max: 10, unset: 0 },
  { key: 'minActivations', label: 'At least this many entries', hint: 'Look further back, one message at a time, until this many entries are in (0: off).', min: 0, max: 100, unset: 0 },
  { key: 'minActivationsDepthMax', label: '…looking back at most (messages)', hint: '0: as far back as the chat goes.', min: 0, max: 1000, unset: 0 },
];

export function WorldInfoSettings() {
  const toast = useLibrary((s) => s.toast);
  const [prefs, setPrefs] = useState<PreferencesView | null>(null);
  const [drafts, setDrafts] = useState<Partial<Record<NumberKey, string>>>({});
  const [note, setNote] = useState<AuthorsNote>(blankNote);
  const ids = useId();
  // What was last sent, so quick changes to several fields each build on the one before.
  const latest = useRef<Globals>({});
  useEffect(() => {
    void call('settings.get', {}).then(
      (p) => {
        latest.current = p.worldInfo ?? {};
        setPrefs(p);
        setNote(p.authorsNoteDefault ?? blankNote);
      },
      (e) => toast(messageOf(e), 'error'),
    );
  }, [toast]);
  if (!prefs) return null;
  const wi: Globals = prefs.worldInfo ?? {};
  // Shown at once (a switch that waits for the core's answer looks dead on a busy machine); the core's answer then
  // replaces it, and a refusal puts back what was stored.
  const save = (patch: Partial<PreferencesView>) => {
    const before = prefs;
    setPrefs({ ...prefs, ...patch });
    void call('settings.update', patch).then(setPrefs, (e) => {
      setPrefs(before);
      toast(messageOf(e), 'error');
    });
  };
  const setGlobal = (patch: Globals) => {
    latest.current = { ...latest.current, ...patch };
    save({ worldInfo: latest.current });
  };
  const typed = (key: NumberKey, raw: string, min: number, max: number) => {
    setDrafts({ ...drafts, [key]: raw });
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isInteger(n) && n >= min && n <= max) setGlobal({ [key]: n });
  };
  const savedNote = JSON.stringify(prefs.authorsNoteDefault ?? blankNote);
  return (
    <section className="card" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Lorebooks and author&apos;s note</h2>
      <CheckField label="Entries can bring in other entries (their text is scanned for keys too)" checked={prefs.loreRecursive ?? false} onChange={(on) => save({ loreRecursive: on })} />
      {numbers.map((f) => {
        const value = drafts[f.key] ?? String(wi[f.key] ?? f.unset);
        const n = Number(value);
        const invalid = value.trim() === '' || !Number.isInteger(n) || n < f.min || n > f.max;
        return (
          <div className="field" key={f.key}>
            <label htmlFor={`${ids}-${f.key}`}>{f.label}</label>
            <input
              id={`${ids}-${f.key}`}
              type="number"
              className="narrow"
              min={f.min}
              max={f.max}
              value={value}
              aria-invalid={invalid}
              aria-describedby={`${ids}-${f.key}-hint`}
              disabled={f.key.startsWith('minActivations') && (wi.maxRecursionSteps ?? 0) > 0}
              onChange={(e) => typed(f.key, e.target.value, f.min, f.max)}
            />
            <div className="hint" id={`${ids}-${f.key}-hint`}>
              {invalid ? `A whole number from ${f.min} to ${f.max}.` : f.hint}
            </div>
          </div>
        );
      })}
      <CheckField label="Keys match upper and lower case exactly, unless an entry says otherwise" checked={wi.caseSensitive ?? false} onChange={(on) => setGlobal({ caseSensitive: on })} />
      <CheckField label="Keys match whole words only, unless an entry says otherwise" checked={wi.matchWholeWords ?? false} onChange={(on) => setGlobal({ matchWholeWords: on })} />
      <AuthorsNoteFields label="Author's note for new chats" hint="New conversations start with this note; each chat can change its own." note={note} onChange={setNote}>
        <button type="button" disabled={JSON.stringify(note) === savedNote} onClick={() => save({ authorsNoteDefault: note })}>
          Save default note
        </button>
      </AuthorsNoteFields>
    </section>
  );
}
