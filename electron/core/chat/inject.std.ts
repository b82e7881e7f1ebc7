/**
 * Text inserted inside the chat history at a depth: the author's note, the card's character note
 * (`extensions.depth_prompt`) and World Info entries at depth. A port of SillyTavern's `doChatInject`
 * (public/scripts/script.js): depth N goes before the N newest messages (0 = after the last one). In continue
 * mode SillyTavern counts the partial reply as the newest message and puts depth 0 at 1, so here (where the
 * partial is not part of `history`) depth N is N − 1 from the end; at one depth, each role is one message whose parts are
 * joined by a newline — memory, author's note, character note, then entries — and the messages run assistant, user,
 * system, so the system one sits nearest the end ("most important go lower").
 */
import type { ChatPromptMessage, PromptPart } from './prompt.std.ts';

export type InjectRole = 'system' | 'user' | 'assistant';
export type InjectSource = 'memory' | 'authors-note' | 'character-note' | 'lore';

export interface DepthInjection {
  depth: number;
  role: InjectRole;
  content: string;
  source: InjectSource;
}

/** SillyTavern's MAX_INJECTION_DEPTH. */
export const maxInjectionDepth = 1000;
// The memory (summary of what came before) first: it is background to the rest.
const sourceOrder: InjectSource[] = ['memory', 'authors-note', 'character-note', 'lore'];
const roleOrder: InjectRole[] = ['assistant', 'user', 'system'];

/**
 * `history` oldest first. Returns the history with the injections in place and, index for index, each message's
 * part. A depth beyond the history puts the injection before its oldest message.
 */
export function injectAtDepth(history: ChatPromptMessage[], injections: DepthInjection[], continuing: boolean): { messages: ChatPromptMessage[]; parts: PromptPart[] } {
  const messages = [...history];
  const parts: PromptPart[] = history.map(() => 'history');
  if (injections.length === 0) return { messages, parts };
  const byDepth = new Map<number, DepthInjection[]>();
  for (const i of injections) {
    if (i.content.trim() === '') continue;
    const depth = Math.min(maxInjectionDepth, Math.max(0, Math.floor(i.depth)));
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), i]);
  }
  // Shallowest first: each insertion is at or before the previous ones, so the original indexes still hold, and
  // two depths landing on one place (continue mode) keep the deeper one first, as SillyTavern does.
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
    const at = byDepth.get(depth)!;
    const block: Array<{ message: ChatPromptMessage; part: PromptPart }> = [];
    for (const role of roleOrder) {
      const mine = at.filter((i) => i.role === role).sort((a, b) => sourceOrder.indexOf(a.source) - sourceOrder.indexOf(b.source));
      if (mine.length === 0) continue;
      const content = mine.map((i) => i.content).join('\n').trimStart();
      if (content === '') continue;
      const sources = new Set(mine.map((i) => i.source));
      block.push({ message: { role, content }, part: sources.size === 1 ? mine[0]!.source : 'injected' });
    }
    const fromEnd = continuing ? Math.max(0, depth - 1) : depth;
    const index = Math.max(0, history.length - fromEnd);
    messages.splice(index, 0, ...block.map((b) => b.message));
    parts.splice(index, 0, ...block.map((b) => b.part));
  }
  return { messages, parts };
}
