/**
 * `mindstage conversation show`: a conversation as the app shows it — macros applied, then the display-side regex
 * scripts. Its own module, loaded by the command, because the macro and RE2 code is needed by nothing else the CLI
 * starts with (docs/decisions.md #20).
 */
import type { Conversation } from '../../../../shared/domain.std.ts';
import type { DisplayContext } from '../../../../shared/api/lorebooks.std.ts';
import { displayText } from '../../../../shared/display-text.std.ts';
import { displayedTexts } from '../../../../shared/regex/engine.std.ts';
import type { Call, CliContext } from '../context.node.ts';

/**
 * One line per message, as the app shows it (macros applied, with `context`). `names`: in a group chat each
 * character line says who speaks.
 */
export function formatConversation(c: Conversation, context: DisplayContext | null = null, names?: ReadonlyMap<string, string>): string[] {
  const lines = [`${c.title || '(untitled)'} — ${c.messages.length} message${c.messages.length === 1 ? '' : 's'}`];
  for (const [index, m] of c.messages.entries()) {
    const raw = m.alternatives[m.chosen]!;
    const alt = { ...raw, text: displayText(raw.text, { conversationId: c.id, message: m, alternativeId: raw.id, context, messages: c.messages, index }) };
    const swipe = m.alternatives.length > 1 ? ` (${m.chosen + 1}/${m.alternatives.length})` : '';
    const status = alt.status !== 'complete' ? ` [${alt.status}${alt.error ? `: ${alt.error}` : ''}]` : '';
    const thinking = alt.reasoning ? ' [reasoning]' : '';
    const who = names && c.characterIds.length > 1 && m.role === 'character' && m.authorId ? ` ${names.get(m.authorId) ?? ''}`.trimEnd() : '';
    lines.push(`[${m.id}] ${m.role}${who}${swipe}${status}${thinking}: ${alt.text}`);
  }
  return lines;
}

export async function showConversation(ctx: CliContext, call: Call, id: string): Promise<void> {
  const c = await call('conversation.get', { id });
  const context = await call('conversation.displayContext', { id });
  const rx = await call('regex.forConversation', { conversationId: id });
  const names = new Map<string, string>();
  for (const cid of c.characterIds) names.set(cid, (await call('character.get', { id: cid })).name);
  // As the app shows it: macros applied, then display-side regex scripts. --json keeps the stored texts and
  // adds what is shown, so scripts see both.
  const macroed = c.messages.map((m, index) => displayText(m.alternatives[m.chosen]!.text, { conversationId: id, message: m, alternativeId: m.alternatives[m.chosen]!.id, context, messages: c.messages, index }));
  const texts = displayedTexts(
    c.messages.map((m, i) => ({ role: m.role, authorId: m.authorId, text: macroed[i]! })),
    rx.scripts,
    { user: rx.userName, charName: (a) => (a && names.get(a)) || 'Character' },
  );
  const shown = { ...c, messages: c.messages.map((m, i) => ({ ...m, alternatives: m.alternatives.map((a, j) => (j === m.chosen ? { ...a, text: texts[i]! } : a)) })) };
  ctx.out().result({ ...c, shown: c.messages.map((m, i) => ({ id: m.id, text: texts[i]! })) }, formatConversation(shown, null, names));
}
