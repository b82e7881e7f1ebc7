/**
 * The author's note and the card's character note, as SillyTavern inserts them (public/scripts/authors-note.js
 * `setFloatingPrompt`; public/scripts/script.js reads `data.extensions.depth_prompt`). Both go into the history at
 * a depth (inject.std.ts); World Info entries placed at the author's note's top or bottom wrap its text.
 */
import type { AuthorsNote, CharacterFields } from '../../../shared/domain.std.ts';
import type { InjectRole } from './inject.std.ts';

/** SillyTavern's defaults: depth 4 (DEFAULT_DEPTH), every user message (DEFAULT_INTERVAL 1), system role. */
export const defaultAuthorsNote: AuthorsNote = { text: '', depth: 4, role: 'system', every: 1 };

/**
 * Whether the note goes in this turn, from the number of user messages in the chat (SillyTavern counts them, the
 * newest included): every 1 → always; every 0 → never; otherwise when the count is a multiple of `every`
 * (before the first `every` messages: once the count reaches it).
 */
export function authorsNoteDue(every: number, userMessages: number): boolean {
  if (every === 1) return true;
  if (userMessages <= 0 || every <= 0) return false;
  const left = userMessages >= every ? userMessages % every : every - userMessages;
  return left === 0;
}

const roles: InjectRole[] = ['system', 'user', 'assistant'];

/** The note of a chat imported from SillyTavern (its chat_metadata `note_*` keys), when it has one. */
export function authorsNoteFromSillyTavern(meta: Record<string, unknown> | undefined): AuthorsNote | undefined {
  const text = meta?.['note_prompt'];
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const num = (k: string, d: number) => {
    const v = meta?.[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : d;
  };
  // note_position 1 is "in chat" (the default); 0 / 2 (in the story string) are read as in chat at the depth.
  return { text, depth: num('note_depth', 4), every: num('note_interval', 1), role: roles[num('note_role', 0)] ?? 'system' };
}

/** The card's `extensions.depth_prompt` {prompt, depth (default 4), role (default system)}, when it has text. */
export function characterNote(character: CharacterFields): { text: string; depth: number; role: InjectRole } | undefined {
  const dp = character.extensions['depth_prompt'];
  if (typeof dp !== 'object' || dp === null) return undefined;
  const { prompt, depth, role } = dp as Record<string, unknown>;
  if (typeof prompt !== 'string' || prompt.trim() === '') return undefined;
  return {
    text: prompt.trim(),
    depth: typeof depth === 'number' && Number.isFinite(depth) && depth >= 0 ? Math.floor(depth) : 4,
    role: typeof role === 'string' && (roles as string[]).includes(role) ? (role as InjectRole) : 'system',
  };
}
