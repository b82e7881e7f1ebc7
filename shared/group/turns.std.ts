/**
 * Who answers in a group chat, after SillyTavern's group-chats.js (`activateNaturalOrder`, `activateListOrder`):
 * - natural: members mentioned by name in the triggering message, then each member (in random order) whose
 *   talkativeness (card `extensions.talkativeness`, 0–1, default 0.5) beats a roll; if nobody, one at random
 *   (preferring members with talkativeness above 0). The member who just spoke does not answer itself.
 * - list: every member, in the conversation's order.
 * - manual: nobody; the user picks who speaks.
 * Muted members never answer on their own (SillyTavern's "disabled" members). Names match as whole words; a name
 * in a script without spaces between words (Chinese, Japanese…) matches where it appears.
 */
import { z } from 'zod';

import { groupOrders } from './orders.std.ts';

export const GroupOrder = z.enum(groupOrders);
export type GroupOrder = z.infer<typeof GroupOrder>;

/** A conversation's group settings (kept in its meta). */
export const GroupSettings = z.object({
  order: GroupOrder.default('natural'),
  muted: z.array(z.string().max(64)).max(1_000).default([]),
  /** Auto mode: characters keep answering each other, up to `autoTurns` rounds, until the user speaks. */
  auto: z.boolean().default(false),
  autoTurns: z.number().int().min(1).max(50).default(3),
});
export type GroupSettings = z.infer<typeof GroupSettings>;

export interface GroupMember {
  id: string;
  name: string;
  /** 0–1; SillyTavern's default is 0.5. */
  talkativeness: number;
}

export const defaultTalkativeness = 0.5;

/** The card's `extensions.talkativeness` (SillyTavern writes it as a string), clamped to 0–1. */
export function talkativenessOf(extensions: Record<string, unknown> | undefined): number {
  const raw = extensions?.['talkativeness'];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : defaultTalkativeness;
}

const words = (text: string): string[] => (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []);
const unspaced = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

export function mentions(text: string, name: string): boolean {
  if (!name.trim()) return false;
  if (unspaced.test(name)) return text.includes(name);
  const said = new Set(words(text));
  return words(name).some((w) => said.has(w));
}

export interface Trigger {
  text: string;
  /** The character who wrote it; undefined when the user did. */
  authorId?: string;
}

export function planTurn(members: readonly GroupMember[], settings: Pick<GroupSettings, 'order' | 'muted'>, trigger: Trigger, random: () => number = Math.random): string[] {
  const active = members.filter((m) => !settings.muted.includes(m.id));
  if (settings.order === 'manual' || active.length === 0) return [];
  if (settings.order === 'list') return active.map((m) => m.id);
  const eligible = active.filter((m) => m.id !== trigger.authorId);
  if (eligible.length === 0) return [];
  const chosen: string[] = [];
  // Mentions, in the order the members are named in the text.
  const named = eligible
    .map((m) => ({ m, at: firstMention(trigger.text, m.name) }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => a.at - b.at);
  for (const { m } of named) chosen.push(m.id);
  const shuffled = [...eligible];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  for (const m of shuffled) if (m.talkativeness >= random() && m.talkativeness > 0) chosen.push(m.id);
  if (chosen.length === 0) {
    const chatty = eligible.filter((m) => m.talkativeness > 0);
    const pool = chatty.length > 0 ? chatty : eligible;
    chosen.push(pool[Math.floor(random() * pool.length)]!.id);
  }
  return [...new Set(chosen)];
}

function firstMention(text: string, name: string): number {
  if (!mentions(text, name)) return -1;
  const lower = text.toLowerCase();
  const at = words(name).map((w) => lower.indexOf(w)).filter((i) => i >= 0);
  return at.length ? Math.min(...at) : Math.max(0, text.indexOf(name));
}

/** What the header says about who speaks next, before anyone is chosen. */
export function nextLabel(members: readonly GroupMember[], settings: Pick<GroupSettings, 'order' | 'muted'>, queue: readonly string[]): string {
  const name = (id: string) => members.find((m) => m.id === id)?.name ?? 'someone';
  if (queue.length > 0) return queue.map(name).join(', then ');
  const active = members.filter((m) => !settings.muted.includes(m.id));
  if (active.length === 0) return 'nobody (everyone is muted)';
  if (settings.order === 'manual') return 'whoever you choose';
  if (settings.order === 'list') return active.map((m) => m.name).join(', then ');
  return 'whoever you name, else by talkativeness';
}
