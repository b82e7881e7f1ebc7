/**
 * Regex scripts for the open conversation (shared/regex): the display side runs here, on each message as it is
 * shown; the core runs the prompt side. Also which cards still wait for the user's consent.
 */
import { useMemo } from 'react';
import { create } from 'zustand';
import type { Message } from '../../shared/domain.std.ts';
import { applyRegexScripts, nameMacros } from '../../shared/regex/engine.std.ts';
import { regexPlacement, type RegexScript } from '../../shared/regex/script.std.ts';
import { call } from '../lib/api.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';
import { useChat } from './chat.dom.ts';

interface RegexState {
  conversationId: string | null;
  scripts: RegexScript[];
  pending: Array<{ characterId: string; name: string; count: number }>;
  userName: string;
  load(conversationId: string): Promise<void>;
  decide(characterId: string, allowed: boolean): Promise<void>;
}

const empty = { conversationId: null, scripts: [], pending: [], userName: 'User' };

export const useRegex = create<RegexState>((set, get) => ({
  ...empty,
  async load(conversationId) {
    const r = await call('regex.forConversation', { conversationId });
    set({ conversationId, scripts: r.scripts, pending: r.pending, userName: r.userName });
  },
  async decide(characterId, allowed) {
    await call('regex.consent', { characterId, allowed });
    const id = get().conversationId;
    if (id) await get().load(id);
  },
}));

onPlaintextDrop(() => useRegex.setState(empty));

/**
 * The text a message shows: display-side scripts for its role at its depth (0 = the newest message).
 * `position` is the message's 1-based place in the whole conversation.
 */
export function useDisplayText(m: Message, text: string, author: string, position: number, kind: 'text' | 'reasoning' = 'text'): string {
  const scripts = useRegex((s) => s.scripts);
  const userName = useRegex((s) => s.userName);
  const total = useChat((s) => s.total);
  const depth = Math.max(0, total - position);
  return useMemo(() => {
    if (scripts.length === 0 || !text) return text;
    const placement = kind === 'reasoning' ? regexPlacement.reasoning : m.role === 'user' ? regexPlacement.userInput : regexPlacement.aiOutput;
    const macros = nameMacros({ char: m.role === 'character' ? author : '', user: userName });
    return applyRegexScripts(text, scripts, { placement, mode: 'display', depth, macros });
  }, [scripts, userName, text, m.role, author, depth, kind]);
}
