/**
 * Insertion at depth and the author's note frequency, case by case from SillyTavern's script.js `doChatInject` and
 * authors-note.js `setFloatingPrompt`.
 */
import { describe, expect, it } from 'vitest';
import { CharacterFields } from '../../../shared/domain.std.ts';
import { authorsNoteDue, authorsNoteFromSillyTavern, characterNote } from './authors-note.std.ts';
import { injectAtDepth } from './inject.std.ts';

const chat = (...texts: string[]) => texts.map((content, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content }));

describe('injectAtDepth', () => {
  it('puts depth N before the N newest messages, 0 after the newest, and beyond the history before the oldest', () => {
    const out = injectAtDepth(chat('a', 'b', 'c'), [
      { depth: 0, role: 'system', content: 'D0', source: 'lore' },
      { depth: 2, role: 'system', content: 'D2', source: 'lore' },
      { depth: 9, role: 'system', content: 'D9', source: 'lore' },
    ], false);
    expect(out.messages.map((m) => m.content)).toEqual(['D9', 'a', 'D2', 'b', 'c', 'D0']);
    expect(out.parts).toEqual(['lore', 'history', 'lore', 'history', 'history', 'lore']);
  });

  it('at one depth: one message per role, assistant then user then system; note, character note, entries joined by newlines', () => {
    const out = injectAtDepth(chat('a', 'b'), [
      { depth: 1, role: 'system', content: 'E', source: 'lore' },
      { depth: 1, role: 'user', content: 'U', source: 'lore' },
      { depth: 1, role: 'system', content: 'AN', source: 'authors-note' },
      { depth: 1, role: 'system', content: 'CN', source: 'character-note' },
      { depth: 1, role: 'assistant', content: 'A', source: 'lore' },
    ], false);
    expect(out.messages).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'U' },
      { role: 'system', content: 'AN\nCN\nE' },
      { role: 'assistant', content: 'b' },
    ]);
    expect(out.parts[3]).toBe('injected');
  });

  it('in continue mode counts the partial reply as the newest message (depth 0 and 1 land together, deeper first)', () => {
    const out = injectAtDepth(chat('a', 'b'), [
      { depth: 0, role: 'system', content: 'D0', source: 'lore' },
      { depth: 1, role: 'system', content: 'D1', source: 'lore' },
    ], true);
    expect(out.messages.map((m) => m.content)).toEqual(['a', 'b', 'D1', 'D0']);
  });
});

describe("the author's note", () => {
  it('goes in every N user messages: always at 1, never at 0, else on multiples of N (and once the count reaches N)', () => {
    expect([1, 2, 3].map((n) => authorsNoteDue(1, n))).toEqual([true, true, true]);
    expect(authorsNoteDue(1, 0)).toBe(true);
    expect([0, 1, 2].map((n) => authorsNoteDue(0, n))).toEqual([false, false, false]);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => authorsNoteDue(3, n))).toEqual([false, false, true, false, false, true, false]);
  });

  it("reads a SillyTavern chat's note_* metadata, and the card's depth_prompt", () => {
    expect(authorsNoteFromSillyTavern({ note_prompt: 'N', note_depth: 2, note_interval: 3, note_role: 1 })).toEqual({ text: 'N', depth: 2, every: 3, role: 'user' });
    expect(authorsNoteFromSillyTavern({ note_prompt: '  ' })).toBeUndefined();
    const card = (dp: unknown) => CharacterFields.parse({ name: 'C', extensions: { depth_prompt: dp } });
    expect(characterNote(card({ prompt: ' P ', depth: 0, role: 'assistant' }))).toEqual({ text: 'P', depth: 0, role: 'assistant' });
    expect(characterNote(card({ prompt: 'P' }))).toEqual({ text: 'P', depth: 4, role: 'system' });
    expect(characterNote(card({ prompt: '' }))).toBeUndefined();
  });
});
