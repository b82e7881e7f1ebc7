/**
 * Group chat turns in the renderer: who answers a message (shared/group/turns.std.ts, SillyTavern's orders), one
 * reply after another, then — in auto mode — further rounds of the characters answering each other until the
 * rounds run out, the user sends a message, or Stop. Each reply is an ordinary `chat.send` / `chat.impersonate`,
 * so streaming, stop, errors and checkpoints are the single-character path's.
 */
import { create } from 'zustand';
import type { ConversationInfo } from '../../shared/api/conversation.std.ts';
import { GroupSettings, planTurn, talkativenessOf, type GroupMember } from '../../shared/group/turns.std.ts';
import { call } from '../lib/api.dom.ts';
import { useChat } from './chat.dom.ts';
import { onPlaintextDrop } from './reset.dom.ts';

interface GroupState {
  /** Which conversation `members` belong to, and for which member list. */
  key: string;
  members: GroupMember[];
  /** Who is still to answer in the running turn (the one speaking first). */
  queue: string[];
  running: boolean;
  load(conversation: ConversationInfo): Promise<void>;
  /** Sends the user's message and lets the group answer; resolves true once the message is stored. */
  send(conversation: ConversationInfo, text: string): Promise<boolean>;
  /** Auto mode's rounds from the last message, without a message from the user. */
  carryOn(conversation: ConversationInfo): Promise<void>;
  stop(): Promise<void>;
}

export const settingsOf = (c: ConversationInfo): GroupSettings => GroupSettings.parse(c.group ?? {});

let token = 0;

/** Resolves once no reply is streaming. */
function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (useChat.getState().active === null) return resolve();
    const off = useChat.subscribe((s) => {
      if (s.active === null) {
        off();
        resolve();
      }
    });
  });
}

/**
 * Starts one reply; resolves once the core accepted it (`onStarted` called) or refused it, with a promise of how
 * it ended: 'refused' when the core did not start it (nothing was stored), 'failed' when it ended in an error.
 */
async function speakStarted(conversationId: string, characterId: string, text: string | undefined, onStarted: () => void): Promise<Promise<'ok' | 'failed' | 'refused'>> {
  let started = false;
  await useChat.getState().run(async () => {
    const r = await (text === undefined ? call('chat.impersonate', { conversationId, characterId }) : call('chat.send', { conversationId, text, characterId }));
    started = true;
    onStarted();
    return r;
  });
  if (!started) return Promise.resolve('refused');
  return idle().then(() => (useChat.getState().error === null ? 'ok' : 'failed'));
}

async function speak(conversationId: string, characterId: string): Promise<'ok' | 'failed' | 'refused'> {
  return speakStarted(conversationId, characterId, undefined, () => undefined).then((done) => done);
}

export const useGroup = create<GroupState>((set, get) => {
  /** Lets each queued member speak in turn while this run is current; false when a reply failed or it was stopped. */
  const drain = async (conversationId: string, mine: number): Promise<boolean> => {
    while (get().queue.length > 0) {
      if (mine !== token) return false;
      const [next] = get().queue;
      const outcome = await speak(conversationId, next!);
      set({ queue: get().queue.slice(1) });
      if (outcome !== 'ok') return false;
    }
    return mine === token;
  };

  const autoRounds = async (conversation: ConversationInfo, mine: number, rounds: number): Promise<void> => {
    const settings = settingsOf(conversation);
    for (let r = 0; r < rounds && mine === token; r++) {
      const last = useChat.getState().messages.at(-1);
      const text = last ? (last.alternatives[last.chosen]?.text ?? '') : '';
      const plan = planTurn(get().members, settings, { text, ...(last?.role === 'character' && last.authorId ? { authorId: last.authorId } : {}) });
      if (plan.length === 0) return;
      set({ queue: plan });
      if (!(await drain(conversation.id, mine))) return;
    }
  };

  return {
    key: '',
    members: [],
    queue: [],
    running: false,

    async load(conversation) {
      const key = `${conversation.id}:${conversation.characterIds.join()}`;
      if (get().key === key) return;
      const members = await Promise.all(
        conversation.characterIds.map(async (id) => {
          const c = await call('character.get', { id }).catch(() => null);
          return { id, name: c?.name ?? 'Character', talkativeness: talkativenessOf(c?.extensions) };
        }),
      );
      set({ key, members });
    },

    async send(conversation, text) {
      const mine = ++token;
      await get().load(conversation);
      const settings = settingsOf(conversation);
      const plan = planTurn(get().members, settings, { text });
      if (plan.length === 0) {
        await call('conversation.addMessage', { id: conversation.id, role: 'user', text, ...(conversation.personaId ? { authorId: conversation.personaId } : {}) });
        return true;
      }
      set({ running: true, queue: plan });
      let started = false;
      // The first reply starts with the user's message; the rest of the turn goes on after the composer is cleared.
      const first = await speakStarted(conversation.id, plan[0]!, text, () => (started = true));
      if (!started) {
        if (mine === token) set({ running: false, queue: [] });
        return false;
      }
      void (async () => {
        try {
          const ok = (await first) === 'ok';
          set({ queue: get().queue.slice(1) });
          if (ok && (await drain(conversation.id, mine))) await autoRounds(conversation, mine, settings.auto ? settings.autoTurns : 0);
        } finally {
          if (mine === token) set({ running: false, queue: [] });
        }
      })();
      return true;
    },

    async carryOn(conversation) {
      const mine = ++token;
      await get().load(conversation);
      set({ running: true });
      try {
        await autoRounds(conversation, mine, settingsOf(conversation).autoTurns);
      } finally {
        if (mine === token) set({ running: false, queue: [] });
      }
    },

    async stop() {
      token++;
      set({ running: false, queue: [] });
      await useChat.getState().stop();
    },
  };
});

onPlaintextDrop(() => {
  token++;
  useGroup.setState({ key: '', members: [], queue: [], running: false });
});
