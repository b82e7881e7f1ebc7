import { describe, expect, it } from 'vitest';
import { ageOn } from './age.dom.ts';

describe('ageOn', () => {
  const today = new Date(2026, 10, 23); // 23 Nov 2026, local time

  it('turns 18 on the birthday itself, not the day before', () => {
    expect(ageOn('2008-11-23', today)).toBe(18);
    expect(ageOn('2008-11-24', today)).toBe(17);
    expect(ageOn('2008-12-01', today)).toBe(17);
  });

  it('handles leap-day birthdays', () => {
    expect(ageOn('2008-02-29', new Date(2026, 1, 28))).toBe(17);
    expect(ageOn('2008-02-29', new Date(2026, 2, 1))).toBe(18);
  });

  it('refuses dates that are not real or are in the future', () => {
    expect(ageOn('2007-02-30', today)).toBeNull();
    expect(ageOn('2030-01-01', today)).toBeNull();
    expect(ageOn('', today)).toBeNull();
    expect(ageOn('1990/01/01', today)).toBeNull();
  });
});
