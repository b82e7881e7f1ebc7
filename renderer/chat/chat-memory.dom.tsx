/**
 * A conversation's memory (a running summary of its older messages), folded away under the chat header beside the
 * author's note: the summary (editable), what it covers and how it was made, "Summarize now", whether it is used and
 * updated by itself, and where it goes in the prompt. Text and placement are saved when the user says so; the
 * switches at once.
 */
import { useEffect, useId, useState } from 'react';
import type { ConversationInfo } from '../../shared/api/conversation.std.ts';
import type { MemoryView } from '../../shared/api/memory.std.ts';
import { noMemory, type ConversationMemory } from '../../shared/memory.std.ts';
import { CheckField, TextField } from '../components/fields.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';

type Draft = Pick<ConversationMemory, 'text' | 'position' | 'depth' | 'role' | 'prompt' | 'words'>;
const draftOf = (m: ConversationMemory): Draft => ({ text: m.text, position: m.position, depth: m.depth, role: m.role, prompt: m.prompt, words: m.words });
const made = { auto: 'summarised automatically', manual: 'summarised on request', edited: 'written or edited by you' } as const;

function status(v: MemoryView | null): string {
  if (!v || (v.text.trim() === '' && !v.madeBy)) return 'No summary yet.';
  const covers = v.coveredMessages > 0 ? `Covers the first ${v.coveredMessages} of ${v.totalMessages} messages` : 'Covers no messages yet';
  const how = v.madeBy ? `, ${made[v.madeBy]}` : '';
  const when = v.madeAt ? ` on ${new Date(v.madeAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}` : '';
  return `${covers}${how}${when}.`;
}

export function ChatMemory({ conversation }: { conversation: ConversationInfo }) {
  const stored = conversation.memory ?? noMemory();
  const storedKey = JSON.stringify(stored);
  const [draft, setDraft] = useState<Draft>(draftOf(stored));
  const [view, setView] = useState<MemoryView | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [advanced, setAdvanced] = useState(false);
  const [open, setOpen] = useState(false);
  // The switches show a change at once; the conversation's own copy arrives later by event (on a busy machine after
  // the next key press, which must then toggle what is shown, not the older state).
  const [switched, setSwitched] = useState<{ enabled?: boolean; auto?: boolean }>({});
  // storedKey stands for `stored` (a new object every render).
  useEffect(() => {
    setDraft(draftOf(stored));
    setSwitched({});
  }, [conversation.id, storedKey]);
  useEffect(() => {
    let live = true;
    call('memory.get', { conversationId: conversation.id }).then((v) => live && setView(v), () => undefined);
    return () => {
      live = false;
    };
  }, [conversation.id, storedKey]);
  const positionId = useId();
  const depthId = useId();
  const roleId = useId();
  const wordsId = useId();
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(stored));

  const set = async (patch: Partial<ConversationMemory>): Promise<boolean> => {
    setProblem(null);
    try {
      setView(await call('memory.set', { conversationId: conversation.id, patch }));
      return true;
    } catch (e) {
      setProblem(messageOf(e));
      setSwitched({});
      return false;
    }
  };
  const save = () => set(draft);
  const summarize = async () => {
    setBusy(true);
    setNote(null);
    // The user's unsaved edit is the base of the new summary, not lost to it.
    if (dirty && !(await save())) return setBusy(false);
    try {
      const r = await call('memory.summarize', { conversationId: conversation.id });
      setView(r);
      setProblem(null);
      setNote(r.remaining > 0 ? `Summarised ${r.summarized} messages; ${r.remaining} more are not covered yet — summarize again to add them.` : `Summarised ${r.summarized} message${r.summarized === 1 ? '' : 's'}.`);
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const whole = (v: string, d: number, max: number) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Math.max(0, Math.min(max, Math.floor(Number(v)))) : d);

  return (
    // The content is rendered only while open: Chromium still lays out a closed <details>' content.
    <details className="chat-lore chat-memory" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Memory{conversation.memory?.enabled && conversation.memory.text.trim() ? ' · on' : ''}</summary>
      {open ? (
        <>
          <p className="hint" aria-live="polite">
            {status(view)}
            {view?.summarizing ? ' A summary is being made…' : ''}
          </p>
          {view?.error ? (
            <p className="error small" role="alert">
              {view.error}
            </p>
          ) : null}
          <TextField
            label="Summary"
            value={draft.text}
            multiline
            rows={4}
            onChange={(text) => setDraft({ ...draft, text })}
            hint="The story so far, sent with every reply so the character remembers what no longer fits in the conversation."
          />
          <div className="checks">
            <CheckField label="Use in replies" checked={switched.enabled ?? stored.enabled} onChange={(enabled) => (setSwitched({ ...switched, enabled }), void set({ enabled }))} />
            <CheckField label="Update by itself when older messages no longer fit" checked={switched.auto ?? stored.auto} onChange={(auto) => (setSwitched({ ...switched, auto }), void set({ auto }))} />
          </div>
          <div className="row">
            <div className="field inline">
              <label htmlFor={positionId}>Placed</label>
              <select id={positionId} value={draft.position} onChange={(e) => setDraft({ ...draft, position: e.target.value as Draft['position'] })}>
                <option value="before_char">before the character</option>
                <option value="after_char">after the character</option>
                <option value="depth">in the chat</option>
              </select>
            </div>
            {draft.position === 'depth' ? (
          <>
                <div className="field inline">
                  <label htmlFor={depthId}>Memory depth</label>
                  <input id={depthId} type="number" min={0} className="narrow" value={draft.depth} onChange={(e) => setDraft({ ...draft, depth: whole(e.target.value, 2, 1000) })} />
                </div>
                <div className="field inline">
                  <label htmlFor={roleId}>Memory as</label>
                  <select id={roleId} value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as Draft['role'] })}>
                    <option value="system">system</option>
                    <option value="user">user</option>
                    <option value="assistant">assistant</option>
                  </select>
                </div>
          </>
        ) : null}
      </div>
      <details className="lore-more" open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
        <summary>How summaries are asked for</summary>
        {advanced ? (
          <>
                <TextField label="Instruction" value={draft.prompt} multiline rows={3} onChange={(prompt) => setDraft({ ...draft, prompt })} hint="{{words}} stands for the length below." />
                <div className="field inline">
                  <label htmlFor={wordsId}>Length in words</label>
                  <input id={wordsId} type="number" min={10} max={5000} className="narrow" value={draft.words} onChange={(e) => setDraft({ ...draft, words: Math.max(10, whole(e.target.value, 200, 5000)) })} />
                </div>
          </>
        ) : null}
      </details>
      <div className="row">
        <button type="button" disabled={!dirty || busy} onClick={() => void save()}>
          Save memory
        </button>
        <button type="button" disabled={busy} aria-busy={busy} onClick={() => void summarize()}>
          {busy ? 'Summarizing…' : 'Summarize now'}
        </button>
      </div>
      {note ? <p className="hint">{note}</p> : null}
      {problem ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
        </>
      ) : null}
    </details>
  );
}
