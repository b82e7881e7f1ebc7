import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { contextFromSt, instructFromSt, sameTemplate } from './templates.std.ts';

describe('SillyTavern templates', () => {
  it('fills SillyTavern\'s defaults and migrates its older keys (migrateInstructModeSettings)', () => {
    const old = instructFromSt({ input_sequence: '### Instruction:', output_sequence: '### Response:', separator_sequence: '\n\n', names: true, wrap: false }, 'Old Alpaca');
    expect(old).toMatchObject({ name: 'Old Alpaca', output_suffix: '\n\n', names_behavior: 'always', wrap: false, macro: true, system_same_as_user: false, input_suffix: '', stop_sequence: '' });
    expect(instructFromSt({ input_sequence: 'U:', output_sequence: 'A:', names: false, names_force_groups: false }, 'x').names_behavior).toBe('none');
    expect(instructFromSt({ input_sequence: 'U:', output_sequence: 'A:' }, 'x').names_behavior).toBe('force');
    // Keys the formatter does not use are not kept.
    expect(Object.keys(instructFromSt({ input_sequence: 'U:', output_sequence: 'A:', skip_examples: true, bind_to_context: true }, 'x'))).not.toContain('skip_examples');
    expect(contextFromSt({ story_string: '{{description}}' }, 'Mine')).toEqual({ name: 'Mine', story_string: '{{description}}', example_separator: '', chat_start: '', use_stop_strings: false });
  });

  it('refuses a used key of the wrong type, naming it; and a bad activation expression', () => {
    const bad = (v: Record<string, unknown>) => {
      try {
        instructFromSt({ input_sequence: 'U:', output_sequence: 'A:', ...v }, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(MindstageError);
        return (e as MindstageError).message;
      }
      return 'accepted';
    };
    expect(bad({ wrap: 'yes' })).toMatch(/"wrap" is not a true\/false value/);
    expect(bad({ output_suffix: 3 })).toMatch(/"output_suffix" is not a text/);
    expect(bad({ names_behavior: 'sometimes' })).toMatch(/"names_behavior" must be none, force or always/);
    expect(bad({ activation_regex: '(' })).toMatch(/"activation_regex" is not a valid regular expression/);
    expect(() => contextFromSt({ story_string: ['not', 'text'] }, 'x')).toThrow(/"story_string" is not a text/);
  });

  it('tells an unchanged template from a changed one', () => {
    const a = contextFromSt({ story_string: 's', chat_start: '***' }, 'T');
    expect(sameTemplate(a, contextFromSt({ story_string: 's', chat_start: '***', unknown: 1 }, 'T'))).toBe(true);
    expect(sameTemplate(a, contextFromSt({ story_string: 's', chat_start: '---' }, 'T'))).toBe(false);
  });
});
