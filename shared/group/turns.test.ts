import { describe, expect, it } from 'vitest';
import { GroupSettings, mentions, nextLabel, planTurn, talkativenessOf, type GroupMember } from './turns.std.ts';

const members: GroupMember[] = [
  { id: 'a', name: 'Ada Quill', talkativeness: 0.5 },
  { id: 'b', name: 'Bram', talkativeness: 0 },
  { id: 'c', name: '莉莉安', talkativeness: 1 },
];
/** A fixed sequence of rolls, so each case is exact. */
const rolls = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};
const natural = GroupSettings.parse({});

describe('group turns, after SillyTavern', () => {
  it('natural order: the named answer first, in the order named; then talkativeness; never the last speaker', () => {
    // Rolls: shuffle (2 draws), then one talkativeness roll per member.
    expect(planTurn(members, natural, { text: 'Bram, and you, Ada?' }, rolls(0.99, 0.99, 0.99))).toEqual(['b', 'a', 'c']);
    expect(planTurn(members, natural, { text: 'Anyone?' }, rolls(0, 0, 0.9, 0.9, 0.9))).toEqual(['c']);
    expect(planTurn(members, natural, { text: 'Anyone?' }, rolls(0, 0, 0.1, 0.1, 0.1))).toEqual(['c', 'a']);
    expect(planTurn(members, natural, { text: '莉莉安在吗？', authorId: 'a' }, rolls(0.99))).toEqual(['c']);
    expect(planTurn(members, natural, { text: 'Ada!', authorId: 'a' }, rolls(0.99)).includes('a')).toBe(false);
  });

  it('natural order: talkativeness 0 never volunteers; with nobody chosen, one chatty member is picked at random', () => {
    const quiet: GroupMember[] = [
      { id: 'a', name: 'Ada', talkativeness: 0.2 },
      { id: 'b', name: 'Bram', talkativeness: 0 },
    ];
    for (let i = 0; i < 20; i++) expect(planTurn(quiet, natural, { text: 'Hello.' })).toEqual(['a']);
    const silent = quiet.map((m) => ({ ...m, talkativeness: 0 }));
    expect(planTurn(silent, natural, { text: 'Hello.' }, rolls(0.6))).toHaveLength(1);
  });

  it('muted members never answer on their own, even when named; list order is everyone unmuted; manual is nobody', () => {
    const s = { ...natural, muted: ['c'] };
    expect(planTurn(members, s, { text: '莉莉安?' }, rolls(0.99)).includes('c')).toBe(false);
    expect(planTurn(members, { order: 'list', muted: ['b'] }, { text: 'x' })).toEqual(['a', 'c']);
    expect(planTurn(members, { order: 'manual', muted: [] }, { text: 'Ada?' })).toEqual([]);
    expect(planTurn(members, { order: 'natural', muted: ['a', 'b', 'c'] }, { text: 'Ada?' })).toEqual([]);
  });

  it('reads talkativeness as SillyTavern writes it, and matches names as words', () => {
    expect([talkativenessOf({ talkativeness: '0.8' }), talkativenessOf({ talkativeness: 2 }), talkativenessOf({}), talkativenessOf({ talkativeness: 'x' })]).toEqual([0.8, 1, 0.5, 0.5]);
    expect(mentions('I saw bram today', 'Bram')).toBe(true);
    expect(mentions('Brambles everywhere', 'Bram')).toBe(false);
    expect(mentions('她说莉莉安来了', '莉莉安')).toBe(true);
  });

  it('says who speaks next', () => {
    expect(nextLabel(members, natural, ['c', 'a'])).toBe('莉莉安, then Ada Quill');
    expect(nextLabel(members, { order: 'list', muted: ['b'] }, [])).toBe('Ada Quill, then 莉莉安');
    expect(nextLabel(members, { order: 'manual', muted: [] }, [])).toBe('whoever you choose');
  });
});
