/**
 * Macros as SillyTavern evaluates them (public/scripts/macros.js `evaluateMacros`, variables.js
 * `replaceVariableMacros`), with our one choice: {{random}} is seeded like {{pick}}, so a shown text is stable.
 */
import { describe, expect, it } from 'vitest';
import { applyMacros, rollDice, seededRandom, type MacroEnv } from './macros.std.ts';

const env: MacroEnv = {
  char: 'Seraphina',
  user: 'Alex',
  description: 'A guardian of the forest.',
  personality: 'kind',
  scenario: 'A glade.',
  persona: 'A traveller.',
  mesExamples: '<START>\nhi',
  lastMessage: 'LAST',
  lastCharMessage: 'LASTCHAR',
  lastUserMessage: 'LASTUSER',
  now: new Date(2026, 11, 2, 15, 4).getTime(),
  seed: 'conv:msg:alt',
};

describe('names and card fields', () => {
  it('replaces {{char}}, {{user}}, the legacy <BOT>/<USER>, and the card and persona fields', () => {
    expect(applyMacros('{{char}} greets {{user}} ({{ CHAR }}, <BOT>, <user>)', env)).toBe('Seraphina greets Alex (Seraphina, Seraphina, Alex)');
    expect(applyMacros('{{description}}|{{personality}}|{{scenario}}|{{persona}}|{{mesExamples}}', env)).toBe('A guardian of the forest.|kind|A glade.|A traveller.|<START>\nhi');
    expect(applyMacros('{{lastMessage}} {{lastCharMessage}} {{lastUserMessage}}', env)).toBe('LAST LASTCHAR LASTUSER');
  });
});

describe('time', () => {
  it('writes the time, date and weekday of `now`, and how long the user was away', () => {
    expect(applyMacros('{{time}} · {{date}} · {{weekday}} · {{isodate}} {{isotime}}', env)).toBe('3:04 PM · December 2, 2026 · Wednesday · 2026-12-02 15:04');
    expect(applyMacros('{{idle_duration}}', env)).toBe('just now');
    expect(applyMacros('{{idle_duration}}', { ...env, lastUserMessageAt: env.now! - 5 * 60_000 })).toBe('5 minutes');
    expect(applyMacros('{{idle_duration}}', { ...env, lastUserMessageAt: env.now! - 3 * 86_400_000 })).toBe('3 days');
  });
});

describe('formatting macros', () => {
  it('{{newline}}, {{trim}} with the line breaks around it, {{// comments}} and {{noop}}', () => {
    expect(applyMacros('a{{newline}}b', env)).toBe('a\nb');
    expect(applyMacros('a\n\n{{trim}}\nb', env)).toBe('ab');
    expect(applyMacros('keep{{// a note for the author, {{char}} inside}} this{{noop}}', env)).toBe('keep this');
  });
});

describe('random, pick and roll', () => {
  it('{{random}} and {{pick}} choose from the list, the same for the same seed and text, and vary with the seed', () => {
    const text = '{{random:red,green,blue}} {{pick::north::south}}';
    const a = applyMacros(text, env);
    expect(a).toMatch(/^(red|green|blue) (north|south)$/);
    expect(applyMacros(text, env)).toBe(a);
    const seen = new Set(Array.from({ length: 60 }, (_, i) => applyMacros('{{random:red,green,blue}}', { ...env, seed: `s${i}` })));
    expect(seen).toEqual(new Set(['red', 'green', 'blue']));
    expect(applyMacros('{{random:a\\,b,c}}', { ...env, seed: 'x' })).toMatch(/^(a,b|c)$/);
  });

  it('two macros in one text are independent', () => {
    const pairs = new Set(Array.from({ length: 40 }, (_, i) => applyMacros('{{roll:1d6}}/{{roll:1d6}}', { ...env, seed: `p${i}` })));
    expect([...pairs].some((p) => p.split('/')[0] !== p.split('/')[1])).toBe(true);
  });

  it('{{roll}} stays in range: NdM+K, a bare number means 1dN, a bad formula gives nothing', () => {
    for (let i = 0; i < 200; i++) {
      const e = { ...env, seed: `r${i}` };
      const d20 = Number(applyMacros('{{roll:1d20}}', e));
      expect(d20).toBeGreaterThanOrEqual(1);
      expect(d20).toBeLessThanOrEqual(20);
      const three = Number(applyMacros('{{roll 3d6+2}}', e));
      expect(three).toBeGreaterThanOrEqual(5);
      expect(three).toBeLessThanOrEqual(20);
      const bare = Number(applyMacros('{{roll:4}}', e));
      expect(bare).toBeGreaterThanOrEqual(1);
      expect(bare).toBeLessThanOrEqual(4);
    }
    expect(applyMacros('[{{roll:banana}}]', env)).toBe('[]');
    expect(rollDice('0d6', seededRandom(1))).toBeNull();
  });
});

describe('chat-local variables', () => {
  it('sets, reads, adds and counts when writing is allowed, and only reads otherwise', () => {
    const vars: Record<string, string> = {};
    const w = { ...env, vars, writeVars: true };
    expect(applyMacros('{{setvar::hp::10}}{{addvar::hp::5}}HP {{getvar::hp}}', w)).toBe('HP 15');
    expect(applyMacros('{{incvar::turn}} {{incvar::turn}} {{decvar::hp}}', w)).toBe('1 2 14');
    expect(applyMacros('{{addvar::log::a}}{{addvar::log::b}}{{getvar::log}}', w)).toBe('ab');
    expect(vars).toEqual({ hp: '14', turn: '2', log: 'ab' });
    const r = { ...env, vars, writeVars: false };
    expect(applyMacros('{{setvar::hp::0}}{{getvar::hp}} {{getvar::missing}}|', r)).toBe('0 |');
    expect(vars['hp']).toBe('14');
  });
});
