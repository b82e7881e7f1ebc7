/**
 * SillyTavern instruct and context templates (data/<user>/instruct/*.json, data/<user>/context/*.json, or a
 * template file alone) read into the shapes the text-completion formatter uses. Missing fields get SillyTavern's
 * defaults (public/scripts/instruct-mode.js `migrateInstructModeSettings`, including the older `names` /
 * `names_force_groups` and `separator_sequence` keys); keys we do not use are ignored; a used key of the wrong type
 * fails the file with its name.
 */
import { fail } from '../../../shared/result.std.ts';
import type { ContextTemplate, InstructTemplate } from '../chat/instruct.std.ts';

type Json = Record<string, unknown>;

const instructStrings = [
  'input_sequence', 'input_suffix', 'output_sequence', 'output_suffix', 'system_sequence', 'system_suffix', 'first_output_sequence',
  'last_output_sequence', 'stop_sequence', 'system_sequence_prefix', 'system_sequence_suffix', 'user_alignment_message', 'activation_regex',
] as const;

function field<T>(v: Json, key: string, type: 'string' | 'boolean', fallback: T): T {
  const value = v[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== type) return fail('usage', `its "${key}" is not a ${type === 'string' ? 'text' : 'true/false value'}.`);
  if (type === 'string' && (value as string).length > 10_000) return fail('usage', `its "${key}" is longer than 10,000 characters.`);
  return value as T;
}

const nameOf = (v: Json, fallback: string) => field(v, 'name', 'string', '').trim().slice(0, 100) || fallback.slice(0, 100) || 'Imported';

export function instructFromSt(v: Json, fileStem: string): InstructTemplate {
  const out: Record<string, unknown> = { name: nameOf(v, fileStem) };
  for (const k of instructStrings) out[k] = field(v, k, 'string', '');
  if (v['output_suffix'] === undefined && typeof v['separator_sequence'] === 'string') out['output_suffix'] = v['separator_sequence'];
  out['wrap'] = field(v, 'wrap', 'boolean', true);
  out['macro'] = field(v, 'macro', 'boolean', true);
  out['system_same_as_user'] = field(v, 'system_same_as_user', 'boolean', false);
  const legacy = typeof v['names'] === 'boolean' ? (v['names'] ? 'always' : v['names_force_groups'] === false ? 'none' : 'force') : undefined;
  const names = field(v, 'names_behavior', 'string', legacy ?? 'force');
  if (names !== 'none' && names !== 'force' && names !== 'always') return fail('usage', `its "names_behavior" must be none, force or always.`);
  out['names_behavior'] = names;
  if (out['activation_regex']) {
    try {
      new RegExp(out['activation_regex'] as string, 'i');
    } catch {
      return fail('usage', 'its "activation_regex" is not a valid regular expression.');
    }
  }
  return out as unknown as InstructTemplate;
}

export function contextFromSt(v: Json, fileStem: string): ContextTemplate {
  return {
    name: nameOf(v, fileStem),
    story_string: field(v, 'story_string', 'string', ''),
    example_separator: field(v, 'example_separator', 'string', ''),
    chat_start: field(v, 'chat_start', 'string', ''),
    use_stop_strings: field(v, 'use_stop_strings', 'boolean', false),
  };
}

/** Same fields, same values: importing a shipped template unchanged adds nothing. */
export function sameTemplate(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return Object.keys(x).every((k) => x[k] === y[k]) && Object.keys(y).every((k) => x[k] === y[k]);
}
