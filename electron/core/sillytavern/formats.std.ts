/**
 * SillyTavern's JSON files other than chats, read into Mindstage's shapes. Pure; each follows the SillyTavern
 * source named beside it (1.12).
 */
import { Lorebook, type LoreEntry } from '../../../shared/domain.std.ts';
import { PresetSampling } from '../../../shared/api/presets.std.ts';
import { fail } from '../../../shared/result.std.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type JsonKind = 'mindstage-export' | 'world' | 'preset' | 'settings' | 'group' | 'card' | 'instruct' | 'context';

/** Tells SillyTavern's JSON files apart by their keys, not their names. */
export function jsonKind(v: unknown): JsonKind | undefined {
  if (!isObject(v)) return undefined;
  if (v['format'] === 'mindstage-export') return 'mindstage-export';
  if (typeof v['spec'] === 'string' || ('first_mes' in v && 'name' in v)) return 'card';
  if (isObject(v['entries'])) return 'world';
  if (isObject(v['power_user'])) return 'settings';
  if (Array.isArray(v['members']) && 'chat_id' in v) return 'group';
  if ('input_sequence' in v && 'output_sequence' in v) return 'instruct';
  if ('story_string' in v) return 'context';
  if (Object.keys(stPresetKeys).some((k) => k in v)) return 'preset';
  return undefined;
}

/**
 * SillyTavern preset keys → ours. Chat Completion presets (public/scripts/openai.js, `oai_settings`, saved in
 * "OpenAI Settings/") use the OpenAI names; Text Completion presets (public/scripts/textgen-settings.js
 * `setting_names`, "TextGen Settings/") use short ones.
 */
const stPresetKeys: Record<string, keyof PresetSampling> = {
  temperature: 'temperature',
  temp: 'temperature',
  top_p: 'top_p',
  top_k: 'top_k',
  min_p: 'min_p',
  repetition_penalty: 'repetition_penalty',
  rep_pen: 'repetition_penalty',
  frequency_penalty: 'frequency_penalty',
  freq_pen: 'frequency_penalty',
  presence_penalty: 'presence_penalty',
  presence_pen: 'presence_penalty',
  seed: 'seed',
  openai_max_tokens: 'max_tokens',
  reasoning_effort: 'reasoning_effort',
};

/** Values SillyTavern uses for "this sampler is off"; sending them would change nothing or be refused. */
const off: Partial<Record<keyof PresetSampling, unknown>> = { top_k: 0, min_p: 0, repetition_penalty: 1, seed: -1 };

/** A preset's sampler settings. Keys Mindstage has no use for are left out; a known key with a bad value fails. */
export function presetFromSt(v: Json): PresetSampling {
  const out: Record<string, unknown> = {};
  for (const [stKey, key] of Object.entries(stPresetKeys)) {
    const value = v[stKey];
    if (value === undefined || value === null || off[key] === value) continue;
    if (key === 'reasoning_effort' && (value === 'auto' || value === '')) continue;
    out[key] = value;
  }
  const stop = v['stopping_strings'] ?? v['custom_stopping_strings'];
  if (Array.isArray(stop) && stop.length > 0) out['stop'] = stop;
  const parsed = PresetSampling.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    // Name the key as the file spells it (temp, rep_pen…), so the user finds it.
    const stKey = Object.keys(stPresetKeys).find((st) => stPresetKeys[st] === key && st in v) ?? key;
    return fail('usage', `its "${stKey}" is invalid (${issue.message}).`);
  }
  return parsed.data;
}

/**
 * A World Info book (worlds/<name>.json: `{entries: {uid: entry}}`) as a Character Card V2 book, the way
 * SillyTavern itself converts one (src/endpoints/characters.js `convertWorldInfoToCharacterBook`). Keys stay
 * plain text: SillyTavern reads a key as a regex only when it is written /like this/.
 */
export function lorebookFromWorld(name: string, v: Json): Lorebook {
  const entries: LoreEntry[] = [];
  for (const raw of Object.values(v['entries'] as Json)) {
    if (!isObject(raw)) fail('usage', 'an entry of its "entries" is not an object.');
    const e = raw as Json;
    const entry: Json = {
      id: e['uid'],
      keys: e['key'] ?? [],
      secondary_keys: e['keysecondary'] ?? [],
      comment: e['comment'] ?? '',
      content: e['content'] ?? '',
      constant: Boolean(e['constant']),
      selective: Boolean(e['selective']),
      insertion_order: e['order'] ?? 100,
      enabled: !e['disable'],
      position: e['position'] === 0 ? 'before_char' : 'after_char',
      extensions: {
        position: e['position'],
        exclude_recursion: e['excludeRecursion'],
        display_index: e['displayIndex'],
        probability: e['probability'] ?? null,
        useProbability: e['useProbability'] ?? false,
        depth: e['depth'] ?? 4,
        selectiveLogic: e['selectiveLogic'] ?? 0,
        group: e['group'] ?? '',
        group_override: e['groupOverride'] ?? false,
        group_weight: e['groupWeight'] ?? null,
        prevent_recursion: e['preventRecursion'] ?? false,
        delay_until_recursion: e['delayUntilRecursion'] ?? false,
        scan_depth: e['scanDepth'] ?? null,
        match_whole_words: e['matchWholeWords'] ?? null,
        use_group_scoring: e['useGroupScoring'] ?? false,
        case_sensitive: e['caseSensitive'] ?? null,
        automation_id: e['automationId'] ?? '',
        role: e['role'] ?? 0,
        vectorized: e['vectorized'] ?? false,
        sticky: e['sticky'] ?? null,
        cooldown: e['cooldown'] ?? null,
        delay: e['delay'] ?? null,
        ...(isObject(e['characterFilter']) ? { character_filter: e['characterFilter'] } : {}),
      },
    };
    if (typeof e['caseSensitive'] === 'boolean') entry['case_sensitive'] = e['caseSensitive'];
    entries.push(entry as LoreEntry);
  }
  const parsed = Lorebook.safeParse({ name, entries });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail('usage', `its entry ${issue.path.slice(1).join('.')} is invalid (${issue.message}).`);
  }
  return parsed.data;
}

export interface StPersona {
  /** The avatar file name in "User Avatars/", which is SillyTavern's key for the persona. */
  avatar: string;
  name: string;
  description: string;
}

/** Personas from settings.json: `power_user.personas` (avatar → name) and `power_user.persona_descriptions`. */
export function personasFromSettings(v: Json): StPersona[] {
  const pu = v['power_user'] as Json;
  const names = isObject(pu['personas']) ? pu['personas'] : {};
  const descriptions = isObject(pu['persona_descriptions']) ? pu['persona_descriptions'] : {};
  const out: StPersona[] = [];
  for (const [avatar, name] of Object.entries(names)) {
    if (typeof name !== 'string' || name.trim() === '') continue;
    const d = descriptions[avatar];
    const description = isObject(d) && typeof d['description'] === 'string' ? d['description'] : '';
    out.push({ avatar, name, description });
  }
  return out;
}

export interface StGroup {
  id: string;
  name: string;
  /** Character avatar file names, SillyTavern's key for a character. */
  members: string[];
  chats: string[];
  chatMetadata: Json;
}

/** A group (groups/<id>.json, src/endpoints/groups.js `/create`). */
export function groupFromSt(v: Json): StGroup {
  const str = (x: unknown) => (typeof x === 'string' || typeof x === 'number' ? String(x) : '');
  return {
    id: str(v['id']),
    name: str(v['name']) || 'Group chat',
    members: (v['members'] as unknown[]).map(str).filter((m) => m !== ''),
    chats: Array.isArray(v['chats']) ? v['chats'].map(str) : [str(v['chat_id'])],
    chatMetadata: isObject(v['chat_metadata']) ? v['chat_metadata'] : {},
  };
}
