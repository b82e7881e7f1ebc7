/**
 * One conversation written out: as a SillyTavern chat (`.jsonl`, the shape `saveChat` in public/script.js writes
 * and `/api/chats/import` accepts: a header line with `user_name`, then one message per line), as Markdown or as
 * plain text. Pure: the caller resolves who each author is.
 */
import type { Conversation, Message } from '../../../shared/domain.std.ts';
import { formatStCreateDate, formatStMessageDate } from './chat.std.ts';

export interface ExportNames {
  /** The name the user speaks under (their persona, or the imported chat's `user_name`). */
  user: string;
  /** The main character's name, for the header and unnamed character messages. */
  character: string;
  /** Name of a message's author (character or persona id), when known. */
  of(authorId: string | undefined): string | undefined;
}

function speaker(m: Message, names: ExportNames): string {
  if (m.role === 'user') return names.of(m.authorId) ?? names.user;
  if (m.role === 'narrator') return 'Narrator';
  if (m.role === 'system') return 'System';
  return names.of(m.authorId) ?? names.character;
}

export function toStJsonl(c: Conversation, names: ExportNames): string {
  const header = {
    user_name: names.user,
    character_name: names.character,
    create_date: c.sillytavern?.createDate ?? formatStCreateDate(c.createdAt),
    chat_metadata: c.sillytavern?.chatMetadata ?? {},
  };
  const lines = [JSON.stringify(header)];
  for (const m of c.messages) {
    const shown = m.alternatives[m.chosen]!;
    const extra: Record<string, unknown> = {};
    if (m.role === 'narrator') extra['type'] = 'narrator';
    if (shown.reasoning) extra['reasoning'] = shown.reasoning;
    const out: Record<string, unknown> = {
      name: speaker(m, names),
      is_user: m.role === 'user',
      is_system: m.role === 'system',
      send_date: formatStMessageDate(m.createdAt),
      mes: shown.text,
      extra,
    };
    if (m.role !== 'user') {
      // SillyTavern keeps swipes on every character message, one alone included.
      out['swipe_id'] = m.chosen;
      out['swipes'] = m.alternatives.map((a) => a.text);
      out['swipe_info'] = m.alternatives.map((a) => ({
        send_date: formatStMessageDate(a.createdAt),
        extra: a.reasoning ? { reasoning: a.reasoning } : {},
      }));
    }
    lines.push(JSON.stringify(out));
  }
  return `${lines.join('\n')}\n`;
}

export function toMarkdown(c: Conversation, names: ExportNames): string {
  const out = [`# ${c.title || 'Conversation'}`, ''];
  for (const m of c.messages) {
    const shown = m.alternatives[m.chosen]!;
    out.push(`**${speaker(m, names)}** — ${new Date(m.createdAt).toISOString().slice(0, 16).replace('T', ' ')}`, '');
    if (shown.reasoning) out.push('<details><summary>Thinking</summary>', '', shown.reasoning, '', '</details>', '');
    out.push(shown.text, '');
  }
  return out.join('\n');
}

export function toText(c: Conversation, names: ExportNames): string {
  const out = [c.title || 'Conversation', ''];
  for (const m of c.messages) out.push(`${speaker(m, names)}: ${m.alternatives[m.chosen]!.text}`, '');
  return out.join('\n');
}
