/**
 * The top of a character's page: portrait, name, creator, tags, a line of description, "Continue last chat" as the
 * first thing to do, and every conversation with this character (newest first, with a preview and its length).
 */
import { useEffect, useState } from 'react';
import type { CharacterFields } from '../../shared/domain.std.ts';
import { Avatar } from '../components/avatar.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { chatWithCharacter } from '../library/actions.dom.ts';
import { VoicePicker } from '../screens/appearance.dom.tsx';
import { PublishPanel } from '../gallery/publish-panel.dom.tsx';

export interface ChatSummary {
  id: string;
  title: string;
  updatedAt: number;
  total: number;
  preview: string;
}

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Conversations with exactly this character (no scenario), newest first, each with its last message and count. */
function useChatsWith(characterId: string): ChatSummary[] | null {
  const entries = useLibrary((s) => s.entries);
  const pending = useLibrary((s) => s.pending);
  const [chats, setChats] = useState<ChatSummary[] | null>(null);
  const key = entries
    .filter((e) => e.kind === 'conversation')
    .map((e) => `${e.id}:${e.updatedAt}`)
    .join(',');
  useEffect(() => {
    let live = true;
    const conversations = useLibrary.getState().entries.filter((e) => e.kind === 'conversation');
    void Promise.all(
      conversations.map((c) =>
        call('conversation.window', { id: c.id, limit: 1 }).then(
          (w) => (w.meta.characterIds.length === 1 && w.meta.characterIds[0] === characterId && !w.meta.scenarioId ? w : null),
          () => null,
        ),
      ),
    ).then((ws) => {
      if (!live) return;
      const found = ws.flatMap((w) => {
        if (!w) return [];
        const last = w.messages.at(-1);
        const text = last ? (last.alternatives[last.chosen]?.text ?? '') : '';
        return [{ id: w.meta.id, title: w.meta.title, updatedAt: w.meta.updatedAt, total: w.total, preview: text.replace(/\s+/g, ' ').trim().slice(0, 200) }];
      });
      setChats(found.sort((a, b) => b.updatedAt - a.updatedAt));
    });
    return () => {
      live = false;
    };
  }, [key, characterId]);
  const hidden = new Set(pending.map((p) => p.id));
  return chats && chats.filter((c) => !hidden.has(c.id));
}

export function CharacterProfile({ id, d }: { id: string; d: CharacterFields }) {
  const navigate = useNav((s) => s.navigate);
  const { load, toast } = useLibrary();
  const chats = useChatsWith(id);
  useEffect(() => {
    if (!useLibrary.getState().loaded) void load();
  }, [load]);
  const name = d.name || 'this character';
  const line = d.description.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  const newChat = () =>
    void chatWithCharacter(id).then(
      (cid) => {
        void load();
        navigate({ name: 'chat', id: cid });
      },
      (e) => toast(messageOf(e), 'error'),
    );
  const latest = chats?.[0];
  return (
    <section className="profile" aria-labelledby="profile-name">
      <Avatar name={d.name} assetId={d.avatar_asset} size="portrait" />
      <div className="profile-text">
        <h2 id="profile-name">{d.name || 'Untitled'}</h2>
        {d.creator ? <p className="muted">by {d.creator}</p> : null}
        {d.tags.length ? (
          <ul className="tags" aria-label="Tags">
            {d.tags.map((t) => (
              <li key={t} className="tag">
                {t}
              </li>
            ))}
          </ul>
        ) : null}
        {line ? <p className="profile-line">{line.length > 300 ? `${line.slice(0, 297)}…` : line}</p> : null}
        <div className="row">
          {latest ? (
            <button type="button" className="primary" onClick={() => navigate({ name: 'chat', id: latest.id })}>
              Continue last chat
            </button>
          ) : null}
          <button type="button" className={latest ? undefined : 'primary'} onClick={newChat} disabled={chats === null}>
            {latest ? 'New chat' : `Start a chat with ${name}`}
          </button>
        </div>
        <VoicePicker characterId={id} name={name} />
        <PublishPanel recordId={id} kind="character" name={d.name} />
        <h3 id="chats-title">Chats with {name}</h3>
        {chats === null ? <p className="muted">Loading…</p> : null}
        {chats?.length === 0 ? <p className="muted">No chats yet.</p> : null}
        {chats?.length ? (
          <ul className="chat-list" aria-labelledby="chats-title">
            {chats.map((c) => (
              <li key={c.id}>
                <button type="button" className="entry-open" onClick={() => navigate({ name: 'chat', id: c.id })}>
                  <span className="entry-title">
                    <span>{c.title || 'Untitled'}</span>
                    <span className="muted small">
                      {c.total} message{c.total === 1 ? '' : 's'} · {when.format(c.updatedAt)}
                    </span>
                  </span>
                  <span className="chat-preview small">{c.preview || 'No messages yet.'}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </section>
  );
}
