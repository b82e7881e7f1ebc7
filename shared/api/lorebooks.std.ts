/**
 * Lorebooks of their own (SillyTavern's World Info books): create, edit, import and export in SillyTavern's World
 * Info JSON. Where a book is in force: `conversation.update {lorebookIds}` (chat books), the book's own
 * `characterIds` / `personaIds`, and `settings.update {globalLorebookIds}` (everywhere).
 */
import { z } from 'zod';
import { LorebookFields, LorebookPatch, RecordId, limits, type AuthorsNote, type LorebookFields as LorebookFieldsType } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

export interface LorebookRecord extends LorebookFieldsType {
  id: RecordId;
  createdAt: number;
  updatedAt: number;
}

/** What showing a conversation's texts needs to apply macros the way its prompt does (shared/display-text.std.ts). */
export interface DisplayContext {
  userName: string;
  persona?: { name: string; description: string };
  characters: Record<string, { name: string; description: string; personality: string; scenario: string; mes_example: string }>;
  variables: Record<string, string>;
  authorsNote?: AuthorsNote;
}

const byId = z.object({ id: RecordId });

export const lorebookCommands = {
  'lorebook.create': { input: LorebookFields, output: returns<{ id: string }>() },
  'lorebook.get': { input: byId, output: returns<LorebookRecord>() },
  'lorebook.update': { input: z.object({ id: RecordId, patch: LorebookPatch }), output: returns<null>() },
  'lorebook.delete': { input: byId, output: returns<null>() },
  /** A SillyTavern World Info file (`{entries: {uid: entry}}`) or a card's `character_book`, as text. */
  'lorebook.import': {
    input: z.object({ json: z.string().max(64 * 1024 * 1024), name: z.string().min(1).max(limits.shortText) }),
    output: returns<{ id: string; entries: number }>(),
  },
  /** The book as a SillyTavern World Info file, every field kept. */
  'lorebook.export': { input: byId, output: returns<{ json: string; name: string }>() },
  'conversation.displayContext': { input: byId, output: returns<DisplayContext>() },
} satisfies CommandDefs;
