/**
 * The text of a message as it is shown — in the app and by `conversation show` — with macros applied exactly as
 * the prompt applies them (same names, card fields and seed: electron/core/chat/context.node.ts `messageSeed`), so
 * a greeting's {{user}} shows the persona's name and a {{roll}} shows the number the model was sent, after every
 * reload. Variables are read, never changed, by showing a text. Display-only transforms (regex scripts) belong here,
 * after the macros.
 */
import type { DisplayContext } from './api/lorebooks.std.ts';
import type { Message } from './domain.std.ts';
import { applyMacros, type MacroEnv } from './macros.std.ts';

export function messageSeed(conversationId: string, messageId: string, alternativeId: string): string {
  return `${conversationId}:${messageId}:${alternativeId}`;
}

/** The newest texts before and including `upTo` (for {{lastMessage}} and friends). */
function recent(messages: readonly Message[], upTo: number): Pick<MacroEnv, 'lastMessage' | 'lastCharMessage' | 'lastUserMessage'> {
  const out: Pick<MacroEnv, 'lastMessage' | 'lastCharMessage' | 'lastUserMessage'> = {};
  for (let i = Math.min(upTo, messages.length - 1); i >= 0 && (out.lastCharMessage === undefined || out.lastUserMessage === undefined); i--) {
    const m = messages[i]!;
    const text = m.alternatives[m.chosen]?.text ?? '';
    out.lastMessage ??= text;
    if (m.role === 'character') out.lastCharMessage ??= text;
    if (m.role === 'user') out.lastUserMessage ??= text;
  }
  return out;
}

/**
 * `text` is the shown alternative's text (or a streaming one); `messages` the conversation (or the window held)
 * and `index` the message's place in it.
 */
export function displayText(text: string, o: { conversationId: string; message: Message; alternativeId: string; context: DisplayContext | null; messages?: readonly Message[]; index?: number }): string {
  if (!text.includes('{{') && !text.includes('<')) return text;
  const ctx = o.context;
  if (!ctx) return text;
  const speaker = o.message.role === 'character' && o.message.authorId ? ctx.characters[o.message.authorId] : undefined;
  const card = speaker ?? Object.values(ctx.characters)[0];
  const env: MacroEnv = {
    char: card?.name ?? 'Character',
    user: ctx.userName,
    description: card?.description ?? '',
    personality: card?.personality ?? '',
    scenario: card?.scenario ?? '',
    mesExamples: card?.mes_example ?? '',
    persona: ctx.persona?.description ?? '',
    group: Object.values(ctx.characters).map((c) => c.name).join(', ') || (card?.name ?? ''),
    ...(o.messages && o.index !== undefined ? recent(o.messages, o.index) : {}),
    seed: messageSeed(o.conversationId, o.message.id, o.alternativeId),
    vars: ctx.variables,
    writeVars: false,
  };
  return applyMacros(text, env);
}
