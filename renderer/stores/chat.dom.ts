/**
 * The open conversation and the replies streaming into it. The conversation from the core is the truth; while a
 * reply streams, its deltas are shown on top of the text the alternative had when streaming began, and the
 * conversation is fetched again when the reply is done.
 */
import { create } from 'zustand';
import type { Conversation, Message } from '../../shared/domain.std.ts';
import type { ChatStarted } from '../../shared/api/chat.std.ts';
import { call, messageOf, on } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';
import { providerHelp } from '../lib/provider-help.dom.ts';

export interface Stream {
  messageId: string;
  alternativeId: string;
  base: string;
  text: string;
}

interface ChatState {
  conversation: Conversation | null;
  loading: boolean;
  /** Streams of the open conversation, by alternative id. */
  streams: Record<string, Stream>;
  /** The reply currently streaming (what Stop stops), if any. */
  active: { messageId: string; alternativeId: string } | null;
  error: string | null;
  /** When the error is a failed reply: the message to try again, and whether the fix lies in Providers. */
  failed: { messageId: string; providerIssue: boolean } | null;
  open(id: string): Promise<void>;
  refresh(): Promise<void>;
  close(): void;
  run(start: () => Promise<ChatStarted>): Promise<void>;
  stop(): Promise<void>;
  setError(error: string | null): void;
}

function altText(c: Conversation | null, messageId: string, alternativeId: string): string {
  const m = c?.messages.find((x) => x.id === messageId);
  return m?.alternatives.find((a) => a.id === alternativeId)?.text ?? '';
}

export const useChat = create<ChatState>((set, get) => ({
  conversation: null,
  loading: false,
  streams: {},
  active: null,
  error: null,
  failed: null,

  async open(id) {
    set({ loading: true, conversation: null, streams: {}, active: null, error: null, failed: null });
    try {
      const conversation = await call('conversation.get', { id });
      const streaming = lastStreaming(conversation.messages);
      set({ conversation, loading: false, active: streaming });
    } catch (e) {
      set({ loading: false, error: messageOf(e) });
    }
  },

  async refresh() {
    const id = get().conversation?.id;
    if (!id) return;
    try {
      const conversation = await call('conversation.get', { id });
      if (get().conversation?.id === id) set({ conversation });
    } catch (e) {
      set({ error: messageOf(e) });
    }
  },

  close() {
    set({ conversation: null, streams: {}, active: null, error: null, failed: null });
  },

  async run(start) {
    set({ error: null, failed: null });
    try {
      const started = await start();
      const s = get();
      if (!s.streams[started.alternativeId]) {
        const base = altText(s.conversation, started.replyMessageId, started.alternativeId);
        set({ streams: { ...s.streams, [started.alternativeId]: { messageId: started.replyMessageId, alternativeId: started.alternativeId, base, text: '' } } });
      }
      // chat.done may already have arrived for a very short reply; only mark active if the stream is still open.
      if (!finished.has(started.alternativeId)) set({ active: { messageId: started.replyMessageId, alternativeId: started.alternativeId } });
      await get().refresh();
    } catch (e) {
      set({ error: messageOf(e) });
      await get().refresh();
    }
  },

  async stop() {
    const id = get().conversation?.id;
    if (!id) return;
    try {
      await call('chat.stop', { conversationId: id });
    } catch (e) {
      set({ error: messageOf(e) });
    }
  },

  setError(error) {
    set({ error, failed: null });
  },
}));

function lastStreaming(messages: Message[]): { messageId: string; alternativeId: string } | null {
  const last = messages.at(-1);
  const alt = last?.alternatives[last.chosen];
  return last && alt?.status === 'streaming' ? { messageId: last.id, alternativeId: alt.id } : null;
}

const finished = new Set<string>();

let listening = false;
/** Wires the streaming events once at start-up. */
export function listenForChat(): void {
  if (listening) return;
  listening = true;
  on('chat.delta', (d) => {
    const s = useChat.getState();
    if (s.conversation?.id !== d.conversationId) return;
    const prev = s.streams[d.alternativeId] ?? {
      messageId: d.messageId,
      alternativeId: d.alternativeId,
      base: altText(s.conversation, d.messageId, d.alternativeId),
      text: '',
    };
    useChat.setState({
      streams: { ...s.streams, [d.alternativeId]: { ...prev, text: prev.text + d.text } },
      active: s.active ?? { messageId: d.messageId, alternativeId: d.alternativeId },
    });
  });
  on('records.changed', ({ ids }) => {
    const s = useChat.getState();
    // While a reply streams, its deltas are the live view; the conversation is fetched again when it is done.
    if (s.conversation && !s.active && ids.includes(s.conversation.id)) void s.refresh();
  });
  on('chat.done', (d) => {
    finished.add(d.alternativeId);
    const s = useChat.getState();
    if (s.conversation?.id !== d.conversationId) return;
    useChat.setState({
      active: s.active?.alternativeId === d.alternativeId ? null : s.active,
      ...(d.status === 'error' && d.error
        ? { error: providerHelp(d.error), failed: { messageId: d.messageId, providerIssue: d.error.code === 'provider' || d.error.code === 'network' } }
        : {}),
    });
    void useChat
      .getState()
      .refresh()
      .then(() => {
        const rest = { ...useChat.getState().streams };
        delete rest[d.alternativeId];
        useChat.setState({ streams: rest });
      });
  });
}

onPlaintextDrop(() => {
  finished.clear();
  useChat.setState({ conversation: null, streams: {}, active: null, error: null, failed: null, loading: false });
});
