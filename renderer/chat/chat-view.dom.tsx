/**
 * The chat view. The message list is virtualized: only the messages on screen (plus a few) are rendered, and the
 * store holds only a window of the conversation (stores/chat.dom.ts), paging older history in as the user scrolls
 * up, so a 10,000-message conversation opens as fast as a short one and scrolls smoothly.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Message } from '../../shared/domain.std.ts';
import { call, codeOf, messageOf } from '../lib/api.dom.ts';
import { loadAllOlder, useChat } from '../stores/chat.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { MessageView, type MessageActions } from './message.dom.tsx';
import { RegexConsent } from './regex-consent.dom.tsx';
import { GroupBar } from './group-bar.dom.tsx';
import { useGroup } from '../stores/group.dom.ts';
import { Composer } from './composer.dom.tsx';
import { Avatar } from '../components/avatar.dom.tsx';
import { usePrefs } from '../stores/prefs.dom.ts';
import { clearHighlight, highlightMatches, hueOf } from './story.dom.ts';
import { ChatPickers } from './pickers.dom.tsx';
import { PromptInspector } from './inspector.dom.tsx';
import { ChatTitle } from './title.dom.tsx';
import { useDisplayText } from './display-context.dom.ts';
import { ChatLore } from './chat-lore.dom.tsx';

/** The avatar asset of each character and persona taking part, by record id (fetched once per conversation). */
function useAvatars(characterIds: string[], personaId: string | undefined): Map<string, string> {
  const [avatars, setAvatars] = useState(new Map<string, string>());
  const key = [...characterIds, personaId ?? ''].join(',');
  useEffect(() => {
    let live = true;
    const ids = key.split(',');
    const persona = ids.pop();
    const lookups = [
      ...ids.filter(Boolean).map((id) => call('character.get', { id }).then((c) => [id, c.avatar_asset] as const)),
      ...(persona ? [call('persona.get', { id: persona }).then((p) => [persona, p.avatar_asset] as const)] : []),
    ].map((p) => p.catch(() => null));
    void Promise.all(lookups).then((pairs) => {
      if (live) setAvatars(new Map(pairs.filter((p): p is readonly [string, string] => !!p?.[1])));
    });
    return () => {
      live = false;
    };
  }, [key]);
  return avatars;
}

export function ChatView({ id, find }: { id: string; find?: { messageId: string; text: string } | undefined }) {
  const { conversation, messages: held, offset, loading, streams, active, error, failed, open, close, run, setError, loadOlder } = useChat();
  const entries = useLibrary((s) => s.entries);
  const loadLibrary = useLibrary((s) => s.load);
  const navigate = useNav((s) => s.navigate);
  const pending = useLibrary((s) => s.pending);
  // Messages deleted but still inside their undo window are hidden, not gone.
  const messages = useMemo(() => {
    const hidden = new Set(pending.map((p) => p.id));
    return hidden.size ? held.filter((m) => !hidden.has(m.id)) : held;
  }, [held, pending]);
  const prefs = usePrefs((s) => s.prefs);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  // Whether the current error is a refused send that Providers can fix (not, say, a message that is too long).
  const [providerFix, setProviderFix] = useState(false);
  /** The prompt inspector: closed, the next reply's prompt, or the one a past reply (by message id) was made from. */
  const [inspecting, setInspecting] = useState<{ messageId?: string } | null>(null);
  // On a phone the chat's settings (persona, provider, lorebooks, the group's controls) fold away behind one button,
  // so the messages keep most of the screen; on wider windows they are always shown and the button is hidden (CSS).
  const [toolsOpen, setToolsOpen] = useState(false);
  useEffect(() => {
    if (!error) setProviderFix(false);
  }, [error]);

  useEffect(() => {
    void open(id);
    if (!useLibrary.getState().loaded) void loadLibrary();
    return () => close();
  }, [id, open, close, loadLibrary]);

  const names = useMemo(() => new Map(entries.map((e) => [e.id, e.title])), [entries]);
  const avatars = useAvatars(conversation?.characterIds ?? [], conversation?.personaId);
  // Names and fields shown in macros follow the conversation's persona and cast, and the records' names.
  const display = useDisplayText(conversation?.id, `${conversation?.personaId ?? ''}|${conversation?.characterIds.join(',') ?? ''}|${conversation?.updatedAt ?? ''}|${entries.length}`, messages, offset);
  const busy = active !== null;

  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 120,
    overscan: 6,
    getItemKey: (i) => messages[i]?.id ?? i,
  });

  // Follow the conversation's end while the user is at the bottom (new messages, streaming text).
  const lastText = messages.at(-1) ? Object.values(streams).reduce((n, s) => n + s.text.length, 0) : 0;
  useEffect(() => {
    if (messages.length && stick.current) virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
  }, [messages.length, lastText, virtualizer]);

  // Older pages go in front of what is on screen: keep the distance from the bottom, so the view does not jump.
  const fromBottom = useRef<number | null>(null);
  const lastOffset = useRef(offset);
  const older = useCallback(() => {
    const el = scroller.current;
    if (el) fromBottom.current = el.scrollHeight - el.scrollTop;
    void loadOlder().finally(() => requestAnimationFrame(() => (fromBottom.current = null)));
  }, [loadOlder]);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && fromBottom.current !== null && offset < lastOffset.current) el.scrollTop = el.scrollHeight - fromBottom.current;
    lastOffset.current = offset;
  }, [offset]);

  const authorOf = useCallback(
    (m: Message) => {
      if (m.role === 'user') return (m.authorId && names.get(m.authorId)) || (conversation?.personaId && names.get(conversation.personaId)) || 'You';
      if (m.role === 'character') return (m.authorId && names.get(m.authorId)) || names.get(conversation?.characterIds[0] ?? '') || 'Character';
      return m.role === 'narrator' ? 'Narrator' : 'System';
    },
    [names, conversation?.personaId, conversation?.characterIds],
  );

  const avatarOf = useCallback(
    (m: Message) => {
      if (m.role === 'user') return avatars.get((m.authorId ?? conversation?.personaId) || '');
      if (m.role === 'character') return avatars.get(m.authorId || conversation?.characterIds[0] || '');
      return undefined;
    },
    [avatars, conversation?.personaId, conversation?.characterIds],
  );

  const cid = conversation?.id;
  const actions = useMemo<MessageActions>(() => {
    // What changed comes back as a conversation.changed event; only a failure needs handling here.
    const attempt = (f: () => Promise<unknown>) => void f().catch((e: unknown) => setError(messageOf(e)));
    return {
      choose: (m, index) => attempt(() => call('conversation.chooseAlternative', { id: cid!, messageId: m.id, index })),
      regenerate: (m) => void run(() => call('chat.regenerate', { conversationId: cid!, messageId: m.id })),
      continueMsg: (m) => void run(() => call('chat.continue', { conversationId: cid!, messageId: m.id })),
      edit: (m, text) => attempt(() => call('conversation.editMessage', { id: cid!, messageId: m.id, text })),
      // Gone from view at once, deleted when the undo window closes (or the vault locks).
      remove: (m) => useLibrary.getState().deferDelete(m.id, 'Deleted the message.', 'the message', () => call('conversation.deleteMessage', { id: cid!, messageId: m.id })),
      branch: (m) =>
        void call('conversation.branch', { id: cid!, messageId: m.id }).then(
          (r) => {
            void loadLibrary();
            navigate({ name: 'chat', id: r.id });
          },
          (e) => setError(messageOf(e)),
        ),
      inspect: (m) => setInspecting({ messageId: m.id }),
    };
  }, [cid, run, setError, navigate, loadLibrary]);

  const send = useCallback(
    async (text: string) => {
      if (!cid) return false;
      stick.current = true;
      // In a group, who answers (and whether the characters go on among themselves) is the group's business.
      const meta = useChat.getState().conversation;
      if (meta && meta.characterIds.length > 1) return useGroup.getState().send(meta, text);
      let sent = false;
      let code: string | undefined;
      await run(async () => {
        try {
          const started = await call('chat.send', { conversationId: cid, text });
          sent = true;
          return started;
        } catch (e) {
          code = codeOf(e);
          throw e;
        }
      });
      setProviderFix(code !== undefined && code !== 'usage' && code !== 'locked');
      return sent;
    },
    [cid, run],
  );
  // Stop also ends a group's turn (the members still to answer, auto mode's rounds), not just the one speaking.
  const stop = useCallback(() => void (useGroup.getState().running ? useGroup.getState().stop() : useChat.getState().stop()), []);
  const lastMessage = messages.at(-1);
  const swipe = useCallback(
    (direction: -1 | 1) => {
      const m = lastMessage;
      if (!m || m.role !== 'character' || busy) return;
      const next = m.chosen + direction;
      if (next >= 0 && next < m.alternatives.length) actions.choose(m, next);
    },
    [lastMessage, busy, actions],
  );

  // A search match: page back until its message is held, scroll it into view, mark it and highlight the words.
  const [found, setFound] = useState<string | null>(null);
  useEffect(() => {
    if (!find || loading || !conversation) return;
    let live = true;
    void (async () => {
      while (live && !useChat.getState().messages.some((m) => m.id === find.messageId) && useChat.getState().offset > 0) {
        const before = useChat.getState().offset;
        await useChat.getState().loadOlder();
        if (useChat.getState().offset === before) break;
      }
      if (!live) return;
      const i = useChat.getState().messages.findIndex((m) => m.id === find.messageId);
      if (i < 0) return;
      stick.current = false;
      setFound(find.messageId);
    })();
    return () => {
      live = false;
    };
  }, [find, loading, conversation]);
  const foundIndex = found ? messages.findIndex((m) => m.id === found) : -1;
  useEffect(() => {
    if (foundIndex < 0 || !find) return;
    virtualizer.scrollToIndex(foundIndex, { align: 'center' });
    // The row is measured and placed over the next frames: highlight once it is in the page, and again if it moves.
    let frames = 0;
    let raf = 0;
    const tick = () => {
      highlightMatches(document.querySelector(`[data-message-id="${CSS.escape(found!)}"] .msg-body`), find.text);
      if (++frames < 20) raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [foundIndex, find, found, virtualizer]);
  useEffect(() => () => clearHighlight(), []);

  if (loading) return <p className="muted pad" role="status">Opening conversation…</p>;
  if (!conversation) return <p className="error pad">{error ?? 'This conversation could not be opened.'}</p>;

  const items = virtualizer.getVirtualItems();
  const last = messages.at(-1);
  // A branch (or a failed turn) that ends on the user's own words can still be answered, without typing anew.
  const replyable = !busy && last?.role === 'user' && conversation.characterIds.length === 1;
  return (
    <div className="chat" data-tools={toolsOpen ? 'open' : 'closed'} data-style={prefs.chatStyle} data-width={prefs.chatWidth} style={{ '--chat-font': `${prefs.fontSize}px` } as CSSProperties}>
      <header className="page-head chat-head">
        <button type="button" className="ghost" onClick={() => navigate({ name: 'library', tab: useNav.getState().libraryTab })}>
          ← Library
        </button>
        {conversation.characterIds.length ? (
          <span className="chat-who" style={{ '--who-h': hueOf(conversation.characterIds[0]!) } as CSSProperties}>
            {conversation.characterIds.slice(0, 3).map((c) => (
              <Avatar key={c} name={names.get(c) ?? ''} assetId={avatars.get(c)} />
            ))}
          </span>
        ) : null}
        <ChatTitle key={conversation.id} id={conversation.id} title={conversation.title} onError={setError} />
        <button type="button" className="chat-tools-toggle" aria-expanded={toolsOpen} aria-controls="chat-tools chat-panels" onClick={() => setToolsOpen(!toolsOpen)}>
          Chat settings
        </button>
        <button type="button" aria-expanded={inspecting !== null && inspecting.messageId === undefined} onClick={() => setInspecting(inspecting && inspecting.messageId === undefined ? null : {})}>
          Prompt
        </button>
        <div id="chat-tools" className="chat-tools">
          <ChatPickers conversation={conversation} />
        </div>
      </header>
      {inspecting ? (
        <PromptInspector key={inspecting.messageId ?? 'next'} conversationId={conversation.id} {...(inspecting.messageId ? { messageId: inspecting.messageId } : {})} onClose={() => setInspecting(null)} />
      ) : null}
      <div id="chat-panels" className="chat-panels">
        <ChatLore conversation={conversation} />
        <GroupBar conversation={conversation} />
      </div>
      <RegexConsent conversationId={conversation.id} version={`${conversation.characterIds.join()}|${conversation.personaId ?? ''}`} />
      <div
        className="messages"
        ref={scroller}
        tabIndex={0}
        role="log"
        aria-label="Messages"
        onKeyDown={(e) => {
          // Native Home/End scroll by estimated heights, which drift on a long list; jump by index instead.
          if (e.target !== e.currentTarget) return;
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
            e.preventDefault();
            return swipe(e.key === 'ArrowLeft' ? -1 : 1);
          }
          if (e.key !== 'Home' && e.key !== 'End') return;
          e.preventDefault();
          stick.current = e.key === 'End';
          if (e.key === 'End') return virtualizer.scrollToIndex(messages.length - 1, { align: 'end' });
          // The start of history may not be held yet: page back to it, then go there.
          virtualizer.scrollToIndex(0, { align: 'start' });
          void loadAllOlder().then(() => virtualizer.scrollToIndex(0, { align: 'start' }));
        }}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
          if (offset > 0 && el.scrollTop < el.clientHeight * 2) older();
        }}
      >
        {messages.length === 0 && offset === 0 ? <p className="empty">Say hello to begin.</p> : null}
        <div className="messages-inner" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((v) => {
            const m = messages[v.index]!;
            const alt = m.alternatives[m.chosen];
            return (
              <div key={v.key} data-index={v.index} ref={virtualizer.measureElement} className="msg-slot" style={{ transform: `translateY(${v.start}px)` }}>
                <MessageView message={m} author={authorOf(m)} avatarId={avatarOf(m)} display={display} hue={m.role === 'character' ? hueOf(m.authorId || conversation.characterIds[0] || '') : undefined} found={m.id === found} voice={m.role === 'character' ? (prefs.voices[m.authorId || conversation.characterIds[0] || ''] ?? '') : undefined} readAloud={prefs.readAloud} stream={alt ? streams[alt.id] : undefined} isLast={v.index === messages.length - 1} busy={busy} actions={actions} errorInBanner={!!error && failed?.messageId === m.id} position={offset + v.index + 1} />
              </div>
            );
          })}
        </div>
      </div>
      {error ? (
        <div className="error banner" role="alert">
          <span>{error}</span>
          {failed && !busy && messages.some((m) => m.id === failed.messageId) ? (
            <button type="button" className="primary" onClick={() => void run(() => call('chat.regenerate', { conversationId: conversation.id, messageId: failed.messageId }))}>
              Try again
            </button>
          ) : null}
          {(failed ? failed.providerIssue : providerFix) ? (
            <button type="button" onClick={() => navigate({ name: 'providers' })}>
              Open Providers
            </button>
          ) : null}
          <button type="button" className="ghost" aria-label="Dismiss error" onClick={() => setError(null)}>
            ×
          </button>
        </div>
      ) : null}
      {conversation.characterIds.length > 1 ? (
        <div className="speak-row" role="group" aria-label="Who speaks next">
          <span className="muted small">Let a character speak without a message from you:</span>
          {conversation.characterIds.map((charId) => (
            <button
              key={charId}
              type="button"
              disabled={busy}
              onClick={() => {
                stick.current = true;
                void run(() => call('chat.impersonate', { conversationId: conversation.id, characterId: charId }));
              }}
            >
              Let {names.get(charId) ?? 'this character'} speak
            </button>
          ))}
        </div>
      ) : null}
      {replyable ? (
        <div className="speak-row">
          <span className="muted small">The last message is yours.</span>
          <button
            type="button"
            className="primary"
            onClick={() => {
              stick.current = true;
              void run(() => call('chat.impersonate', { conversationId: conversation.id, characterId: conversation.characterIds[0]! }));
            }}
          >
            Get a reply from {names.get(conversation.characterIds[0]!) ?? 'the character'}
          </button>
        </div>
      ) : null}
      <Composer
        busy={busy}
        onSend={send}
        onStop={stop}
        onSwipe={swipe}
        onSuggest={() =>
          call('chat.suggestUserTurn', { conversationId: conversation.id }).then(
            (r) => r.text,
            (e: unknown) => (useChat.getState().setError(messageOf(e)), null),
          )
        }
      />
    </div>
  );
}
