/**
 * The open conversation, held as a window: its newest messages, plus older pages the user scrolled to (the window
 * always runs to the newest message). It is kept current by `conversation.changed` events, which name what
 * changed, and streaming text by `chat.delta` — never by fetching the conversation again. While a reply streams,
 * its deltas are shown on top of the text the alternative had when streaming began; the overlay goes when the
 * message arrives in its final state.
 */
import { create } from 'zustand';
import type { Message } from '../../shared/domain.std.ts';
import type { ChatStarted } from '../../shared/api/chat.std.ts';
import type { ConversationInfo, ConversationWindow } from '../../shared/api/conversation.std.ts';
import { applyChanges, prependPage, type HeldWindow } from '../../shared/conversation-window.std.ts';
import { call, messageOf, on } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';
import { providerHelp } from '../lib/provider-help.dom.ts';

/** Messages fetched when a conversation opens: a few screenfuls. */
const FIRST_WINDOW = 100;
/** Messages fetched per older page (the API allows up to 500). */
const PAGE = 200;
const WHOLE_PAGE = 500;

export interface Stream {
  messageId: string;
  alternativeId: string;
  base: string;
  text: string;
  /** The model's thinking streamed so far (shown apart, collapsed). */
  reasoning?: string;
}

interface ChatState {
  conversation: ConversationInfo | null;
  /** The window: messages[0] is message number `offset` of `total`. */
  messages: Message[];
  offset: number;
  total: number;
  loading: boolean;
  loadingOlder: boolean;
  /** Streams of the open conversation, by alternative id. */
  streams: Record<string, Stream>;
  /** The reply currently streaming (what Stop stops), if any. */
  active: { messageId: string; alternativeId: string } | null;
  error: string | null;
  /** When the error is a failed reply: the message to try again, and whether the fix lies in Providers. */
  failed: { messageId: string; providerIssue: boolean } | null;
  open(id: string): Promise<void>;
  /** Adds the page before the window; resolves false when there is nothing older. */
  loadOlder(size?: number): Promise<boolean>;
  close(): void;
  run(start: () => Promise<ChatStarted>): Promise<void>;
  stop(): Promise<void>;
  setError(error: string | null): void;
}

const empty = { conversation: null, messages: [], offset: 0, total: 0, streams: {}, active: null, error: null, failed: null, loadingOlder: false };

function altText(messages: Message[], messageId: string, alternativeId: string): string {
  const m = messages.findLast((x) => x.id === messageId);
  return m?.alternatives.find((a) => a.id === alternativeId)?.text ?? '';
}

const held = (s: ChatState): HeldWindow | null => (s.conversation ? { meta: s.conversation, total: s.total, offset: s.offset, messages: s.messages } : null);
const hold = (w: HeldWindow) => ({ conversation: w.meta, total: w.total, offset: w.offset, messages: w.messages });

/** Counts open() and close() calls: an answer applies only if nothing happened since its open(). */
let opens = 0;
/** The window read in flight for open(), shared by a second open() of the same conversation. */
let opening: { id: string; request: Promise<ConversationWindow> } | null = null;

export const useChat = create<ChatState>((set, get) => ({
  ...empty,
  loading: false,

  async open(id) {
    const seq = ++opens;
    set({ ...empty, loading: true });
    // A view mounted again for the same conversation while its first read is on the way (React's StrictMode does
    // that to every effect; so can a shell that settles) waits for that read instead of making a second one.
    const request = opening?.id === id ? opening.request : call('conversation.window', { id, limit: FIRST_WINDOW });
    opening = { id, request };
    try {
      const w = await request;
      // Only the newest open applies: a slow answer for a conversation left since must not replace the one shown.
      if (seq === opens) set({ ...hold(w), loading: false, active: lastStreaming(w.messages) });
    } catch (e) {
      if (seq === opens) set({ loading: false, error: messageOf(e) });
    } finally {
      if (opening?.request === request) opening = null;
    }
  },

  async loadOlder(size = PAGE) {
    const s = get();
    const w = held(s);
    if (!w || w.offset === 0 || s.loadingOlder) return false;
    set({ loadingOlder: true });
    try {
      const page = await call('conversation.window', { id: w.meta.id, beforeId: w.messages[0]!.id, limit: size });
      const now = held(get());
      if (now?.meta.id !== w.meta.id) return false;
      const joined = prependPage(now, page);
      if (joined) set(hold(joined));
      else await reload(w.meta.id, now.messages.length + size);
      return true;
    } catch (e) {
      set({ error: messageOf(e) });
      return false;
    } finally {
      set({ loadingOlder: false });
    }
  },

  close() {
    opens++;
    set({ ...empty });
  },

  async run(start) {
    set({ error: null, failed: null });
    try {
      const started = await start();
      const s = get();
      if (!s.streams[started.alternativeId]) {
        const base = altText(s.messages, started.replyMessageId, started.alternativeId);
        set({ streams: { ...s.streams, [started.alternativeId]: { messageId: started.replyMessageId, alternativeId: started.alternativeId, base, text: '' } } });
      }
      // chat.done may already have arrived for a very short reply; only mark active if the stream is still open.
      if (!finished.has(started.alternativeId)) set({ active: { messageId: started.replyMessageId, alternativeId: started.alternativeId } });
    } catch (e) {
      set({ error: messageOf(e) });
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

/** Fetches the window again (the events could not be applied): the newest `size` messages, within the API's limit. */
async function reload(id: string, size: number): Promise<void> {
  try {
    const w = await call('conversation.window', { id, limit: Math.min(WHOLE_PAGE, Math.max(FIRST_WINDOW, size)) });
    if (useChat.getState().conversation?.id === id) useChat.setState(hold(w));
  } catch (e) {
    if (useChat.getState().conversation?.id === id) useChat.setState({ error: messageOf(e) });
  }
}

/** Pages back to the first message (Home). */
export async function loadAllOlder(): Promise<void> {
  while (useChat.getState().offset > 0) if (!(await useChat.getState().loadOlder(WHOLE_PAGE))) return;
}

function lastStreaming(messages: Message[]): { messageId: string; alternativeId: string } | null {
  const last = messages.at(-1);
  const alt = last?.alternatives[last.chosen];
  return last && alt?.status === 'streaming' ? { messageId: last.id, alternativeId: alt.id } : null;
}

const finished = new Set<string>();

/**
 * Tokens can arrive far faster than anyone reads (a local model sends hundreds a second), and each shown update
 * re-renders the reply's Markdown. They are gathered and shown every STREAM_SHOW_MS (the first at once), so the
 * page does a bounded amount of work per second however fast the model is. Any other event about the conversation
 * first shows what was gathered, so nothing is applied out of order.
 */
const STREAM_SHOW_MS = 50;
const pendingDeltas = new Map<string, { conversationId: string; messageId: string; alternativeId: string; text: string; reasoning?: string }>();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function scheduleFlush(): void {
  flushTimer ??= setTimeout(flushDeltas, STREAM_SHOW_MS);
}

function flushDeltas(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  if (pendingDeltas.size === 0) return;
  const s = useChat.getState();
  let streams = s.streams;
  let active = s.active;
  for (const d of pendingDeltas.values()) {
    if (s.conversation?.id !== d.conversationId) continue;
    const prev = streams[d.alternativeId] ?? { messageId: d.messageId, alternativeId: d.alternativeId, base: altText(s.messages, d.messageId, d.alternativeId), text: '' };
    streams = { ...streams, [d.alternativeId]: { ...prev, text: prev.text + d.text, ...(d.reasoning ? { reasoning: (prev.reasoning ?? '') + d.reasoning } : {}) } };
    active ??= { messageId: d.messageId, alternativeId: d.alternativeId };
  }
  pendingDeltas.clear();
  useChat.setState({ streams, active });
}

let listening = false;
/** Wires the conversation and streaming events once at start-up. */
export function listenForChat(): void {
  if (listening) return;
  listening = true;
  on('conversation.changed', (ev) => {
    flushDeltas();
    const s = useChat.getState();
    const w = held(s);
    // A window still being fetched already includes what happened before it was read.
    if (!w || w.meta.id !== ev.conversationId || s.loading) return;
    const next = applyChanges(w, ev);
    if (!next) return void reload(ev.conversationId, w.messages.length);
    // A streamed alternative that has reached its final state shows from the message itself again.
    let streams = s.streams;
    for (const c of ev.changes) {
      if (c.kind !== 'message' && c.kind !== 'added') continue;
      for (const a of c.message.alternatives) {
        if (a.status === 'streaming' || !streams[a.id]) continue;
        if (streams === s.streams) streams = { ...s.streams };
        delete streams[a.id];
      }
    }
    useChat.setState({ ...hold(next), streams });
  });
  on('chat.delta', (d) => {
    if (useChat.getState().conversation?.id !== d.conversationId) return;
    const p = pendingDeltas.get(d.alternativeId);
    if (p) {
      p.text += d.text;
      if (d.reasoning) p.reasoning = (p.reasoning ?? '') + d.reasoning;
    }
    else pendingDeltas.set(d.alternativeId, { ...d });
    // A reply's first words show at once; what follows is gathered per frame.
    if (useChat.getState().streams[d.alternativeId]?.text) scheduleFlush();
    else flushDeltas();
  });
  on('chat.done', (d) => {
    flushDeltas();
    finished.add(d.alternativeId);
    const s = useChat.getState();
    if (s.conversation?.id !== d.conversationId) return;
    useChat.setState({
      active: s.active?.alternativeId === d.alternativeId ? null : s.active,
      ...(d.status === 'error' && d.error
        ? { error: providerHelp(d.error), failed: { messageId: d.messageId, providerIssue: d.error.code === 'provider' || d.error.code === 'network' } }
        : {}),
    });
  });
}

onPlaintextDrop(() => {
  finished.clear();
  pendingDeltas.clear();
  useChat.setState({ ...empty, loading: false });
});
