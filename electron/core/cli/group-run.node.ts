/**
 * Group turns for the CLI, as the app runs them (renderer/stores/group.dom.ts): who answers comes from the pure
 * planner (shared/group/turns.std.ts, SillyTavern's natural / list / manual orders); each reply is an ordinary
 * `chat.send` (the first, with the user's message) or `chat.impersonate` (the rest), streamed one after another;
 * auto mode then lets the characters answer each other for up to N rounds. Ctrl-C stops the reply in progress
 * (its text is kept, marked stopped) and ends the run before anyone else speaks.
 */
import type { ChatStarted } from '../../../shared/api/chat.std.ts';
import type { ConversationInfo } from '../../../shared/api/conversation.std.ts';
import { GroupSettings, planTurn, talkativenessOf, type GroupMember, type GroupOrder, type Trigger } from '../../../shared/group/turns.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import type { Call, CliContext } from './context.node.ts';

export interface GroupRunOptions {
  /** This run's order instead of the conversation's. */
  order?: GroupOrder;
  /** Auto rounds after the turn (0: none); default the conversation's (its rounds if auto mode is on, else 0). */
  auto?: number;
}

/** Streams one reply (chat.node.ts `streamReply`), told who speaks. */
export type Speak = (speaker: { id: string; name: string }, start: () => Promise<ChatStarted>) => Promise<void>;

async function membersOf(call: Call, meta: ConversationInfo): Promise<GroupMember[]> {
  return Promise.all(
    meta.characterIds.map(async (id) => {
      const c = await call('character.get', { id });
      return { id, name: c.name, talkativeness: talkativenessOf(c.extensions) };
    }),
  );
}

/**
 * Runs one group turn (`text` from the user, or none: the characters carry on from the last message) and the
 * auto rounds after it. Resolves once everyone has spoken; throws `aborted` when stopped with Ctrl-C.
 */
export async function runGroup(ctx: CliContext, call: Call, conversationId: string, text: string | undefined, o: GroupRunOptions, speak: Speak): Promise<void> {
  const { meta, messages } = await call('conversation.window', { id: conversationId, limit: 1 });
  const members = await membersOf(call, meta);
  const saved = GroupSettings.parse(meta.group ?? {});
  const settings = { ...saved, order: o.order ?? saved.order };
  const rounds = o.auto ?? (saved.auto ? saved.autoTurns : 0);
  const name = (id: string) => members.find((m) => m.id === id)?.name ?? 'Character';

  let stopped = false;
  const onSigint = () => {
    stopped = true;
  };
  process.on('SIGINT', onSigint);
  try {
    let pendingText = text;
    const turn = async (trigger: Trigger): Promise<boolean> => {
      const plan = planTurn(members, settings, trigger);
      for (const id of plan) {
        if (stopped) throw new MindstageError('aborted', 'Stopped; nobody else speaks this turn.');
        const said = pendingText;
        pendingText = undefined;
        await speak({ id, name: name(id) }, () => (said === undefined ? call('chat.impersonate', { conversationId, characterId: id }) : call('chat.send', { conversationId, text: said, characterId: id })));
      }
      return plan.length > 0;
    };

    if (text !== undefined && !(await turn({ text }))) {
      // Manual order (or everyone muted): the message is stored and nobody answers until asked.
      await call('conversation.addMessage', { id: conversationId, role: 'user', text, ...(meta.personaId ? { authorId: meta.personaId } : {}) });
      if (!ctx.out().json) process.stderr.write(`Nobody answers on their own (${settings.order === 'manual' ? 'manual order' : 'everyone is muted'}); choose who speaks with --character.\n`);
      return;
    }
    for (let r = 0; r < rounds; r++) {
      if (stopped) throw new MindstageError('aborted', 'Stopped; nobody else speaks this turn.');
      const last = (await call('conversation.window', { id: conversationId, limit: 1 })).messages.at(-1) ?? messages.at(-1);
      const lastText = last ? (last.alternatives[last.chosen]?.text ?? '') : '';
      if (!(await turn({ text: lastText, ...(last?.role === 'character' && last.authorId ? { authorId: last.authorId } : {}) }))) return;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
