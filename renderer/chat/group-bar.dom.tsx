/**
 * The participants of a conversation and how they take turns: each member with mute and remove, adding a
 * character mid-chat, the order (natural, list, manual), auto mode with its number of rounds, who speaks next,
 * and Stop while the characters are talking among themselves.
 */
import { useEffect, useId, useState } from 'react';
import type { ConversationInfo } from '../../shared/api/conversation.std.ts';
import { nextLabel, type GroupOrder, type GroupSettings } from '../../shared/group/turns.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { useChat } from '../stores/chat.dom.ts';
import { settingsOf, useGroup } from '../stores/group.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import './group.css';

const orders: Array<[GroupOrder, string]> = [
  ['natural', 'Natural (mentions, then talkativeness)'],
  ['list', 'List order (everyone)'],
  ['manual', 'Manual (you choose)'],
];

export function GroupBar({ conversation }: { conversation: ConversationInfo }) {
  const { members, queue, running, load } = useGroup();
  const stop = useGroup((s) => s.stop);
  const carryOn = useGroup((s) => s.carryOn);
  const busy = useChat((s) => s.active !== null);
  const setError = useChat((s) => s.setError);
  const characters = useLibrary((s) => s.entries).filter((e) => e.kind === 'character' && !conversation.characterIds.includes(e.id));
  const [adding, setAdding] = useState('');
  const orderId = useId();
  const addId = useId();
  const roundsId = useId();
  // Shown at once and saved in the background: each change builds on the last one, not on what has come back yet.
  const stored = JSON.stringify(settingsOf(conversation));
  const [settings, setSettings] = useState<GroupSettings>(() => settingsOf(conversation));
  useEffect(() => setSettings(JSON.parse(stored) as GroupSettings), [stored]);
  const group = conversation.characterIds.length > 1;

  useEffect(() => {
    void load(conversation).catch(() => undefined);
  }, [conversation, load]);

  const update = (patch: { group?: GroupSettings; characterIds?: string[] }) =>
    void call('conversation.update', { id: conversation.id, patch }).catch((e: unknown) => setError(messageOf(e)));
  const setGroup = (patch: Partial<GroupSettings>) => {
    const next = { ...settings, ...patch };
    setSettings(next);
    update({ group: next });
  };
  const known = members.filter((m) => conversation.characterIds.includes(m.id));

  return (
    <section className="group-bar" aria-label="Participants">
      {group ? (
        <ul className="group-members" aria-label="In this chat">
          {known.map((m) => {
            const muted = settings.muted.includes(m.id);
            return (
              <li key={m.id} className={muted ? 'muted-member' : undefined}>
                <span>{m.name}</span>
                <button type="button" className="ghost small" aria-pressed={muted} aria-label={`Mute ${m.name}`} onClick={() => setGroup({ muted: muted ? settings.muted.filter((x) => x !== m.id) : [...settings.muted, m.id] })}>
                  {muted ? 'Muted' : 'Mute'}
                </button>
                <button type="button" className="ghost small" aria-label={`Remove ${m.name} from this chat`} disabled={running} onClick={() => update({ characterIds: conversation.characterIds.filter((x) => x !== m.id) })}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <div className="group-add">
        <label htmlFor={addId} className="visually-hidden">
          Add a character
        </label>
        <select id={addId} value={adding} onChange={(e) => setAdding(e.target.value)}>
          <option value="">Add a character…</option>
          {characters.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
        <button type="button" disabled={!adding} onClick={() => (update({ characterIds: [...conversation.characterIds, adding] }), setAdding(''))}>
          Add
        </button>
      </div>
      {group ? (
        <>
          <div className="field inline">
            <label htmlFor={orderId}>Turns</label>
            <select id={orderId} value={settings.order} onChange={(e) => setGroup({ order: e.target.value as GroupOrder })}>
              {orders.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <label className="group-auto">
            <input type="checkbox" checked={settings.auto} onChange={(e) => setGroup({ auto: e.target.checked })} /> Auto mode
          </label>
          <label htmlFor={roundsId} className="visually-hidden">
            Rounds in auto mode
          </label>
          <input id={roundsId} className="group-rounds" type="number" min={1} max={50} value={settings.autoTurns} disabled={!settings.auto} onChange={(e) => setGroup({ autoTurns: Math.min(50, Math.max(1, Math.trunc(Number(e.target.value)) || 1)) })} />
          <p className="group-next" aria-live="polite">
            {running && queue.length > 0 ? (
              <>
                <span className="muted">{settings.auto ? 'Auto mode · now: ' : 'Now: '}</span>
                {known.find((m) => m.id === queue[0])?.name ?? 'someone'}
                <span className="muted"> · next: </span>
                {queue.length > 1 ? nextLabel(known, settings, queue.slice(1)) : settings.auto ? 'another round' : 'you'}
              </>
            ) : (
              <>
                <span className="muted">Next: </span>
                {nextLabel(known, settings, [])}
              </>
            )}
          </p>
          {running ? (
            <button type="button" className="danger" onClick={() => void stop()}>
              Stop auto mode
            </button>
          ) : settings.auto ? (
            <button type="button" disabled={busy} onClick={() => void carryOn(conversation)}>
              Let them talk
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
