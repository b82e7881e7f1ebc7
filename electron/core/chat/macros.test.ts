import { describe, expect, it } from 'vitest';
import { applyMacros, replaceOriginal } from './macros.std.ts';

const names = { char: 'Seraphina', user: 'Alex' };

describe('{{char}} and {{user}}', () => {
  it('replaces both, in any case and with spaces inside the braces', () => {
    expect(applyMacros('{{char}} greets {{user}}. {{CHAR}}/{{User}}/{{ char }}', names)).toBe('Seraphina greets Alex. Seraphina/Alex/Seraphina');
  });

  it('replaces the legacy <BOT> and <USER> forms, in any case', () => {
    expect(applyMacros('<BOT>: hi <USER>, <bot> and <user>', names)).toBe('Seraphina: hi Alex, Seraphina and Alex');
  });

  it('leaves other braces and tags alone, and does not re-expand names that look like macros', () => {
    expect(applyMacros('{{random}} <b>bold</b> {char} {{charx}}', names)).toBe('{{random}} <b>bold</b> {char} {{charx}}');
    expect(applyMacros('{{user}} says {{char}}', { char: '{{user}}', user: '$& $1' })).toBe('$& $1 says {{user}}');
  });
});

describe('{{original}}', () => {
  it('stands for the default inside a card text, and an empty card text means the default', () => {
    expect(replaceOriginal('{{original}} Stay in character.', 'Default.')).toBe('Default. Stay in character.');
    expect(replaceOriginal('Before. {{ Original }} After. {{original}}', 'D')).toBe('Before. D After. D');
    expect(replaceOriginal('', 'Default.')).toBe('Default.');
    expect(replaceOriginal('   \n', 'Default.')).toBe('Default.');
    expect(replaceOriginal('Only mine.', 'Default.')).toBe('Only mine.');
    expect(replaceOriginal('{{original}}', '$&')).toBe('$&');
  });
});
