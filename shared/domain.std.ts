/**
 * Domain types shared by the core, the renderer and the CLI. Schemas (zod) double as validators at every
 * process boundary; the TypeScript types are inferred from them so the two cannot drift apart.
 *
 * Character fields keep the Character Card V3 names (snake_case) on purpose: import and export are then
 * lossless by construction, and people who know the card spec recognise every field.
 */
import { z } from 'zod';
import { GroupSettings } from './group/turns.std.ts';
import { ConversationMemory } from './memory.std.ts';

/** Upper bounds that keep one bad paste (or a hostile file) from taking the app down. */
export const limits = {
  shortText: 1_000,
  longText: 1_000_000,
  listItems: 10_000,
} as const;

const shortText = z.string().max(limits.shortText, `must be at most ${limits.shortText} characters`);
const longText = z.string().max(limits.longText, `must be at most ${limits.longText} characters`);
const jsonObject = z.record(z.string(), z.unknown());

export const recordKinds = ['character', 'scenario', 'persona', 'conversation', 'lorebook'] as const;
export const RecordKind = z.enum(recordKinds);
export type RecordKind = z.infer<typeof RecordKind>;

/** Record ids: 32 lowercase hex characters (16 random bytes). */
export const RecordId = z.string().regex(/^[0-9a-f]{32}$/, 'is not a record id (32 hex characters)');
export type RecordId = z.infer<typeof RecordId>;

/**
 * A schema for partial updates: every field optional and — unlike zod's .partial() — without defaults, so a
 * patch that omits a field leaves it alone instead of resetting it.
 */
export function patchOf<T extends z.ZodRawShape>(schema: z.ZodObject<T>): z.ZodType<Partial<z.output<z.ZodObject<T>>>, Partial<z.input<z.ZodObject<T>>>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    shape[key] = inner.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodType<Partial<z.output<z.ZodObject<T>>>, Partial<z.input<z.ZodObject<T>>>>;
}

// ---- lorebooks (Character Card V2/V3 `character_book`) -------------------------------------------

export const LoreEntry = z.looseObject({
  keys: z.array(shortText).max(limits.listItems).default([]),
  content: longText.default(''),
  extensions: jsonObject.default({}),
  enabled: z.boolean().default(true),
  insertion_order: z.number().default(0),
  case_sensitive: z.boolean().optional(),
  use_regex: z.boolean().optional(),
  constant: z.boolean().optional(),
  name: shortText.optional(),
  priority: z.number().optional(),
  id: z.union([z.number(), z.string()]).optional(),
  comment: longText.optional(),
  selective: z.boolean().optional(),
  secondary_keys: z.array(shortText).max(limits.listItems).optional(),
  position: z.enum(['before_char', 'after_char']).optional(),
});
export type LoreEntry = z.infer<typeof LoreEntry>;

export const Lorebook = z.looseObject({
  name: shortText.optional(),
  description: longText.optional(),
  scan_depth: z.number().int().min(0).optional(),
  token_budget: z.number().int().min(0).optional(),
  recursive_scanning: z.boolean().optional(),
  extensions: jsonObject.default({}),
  entries: z.array(LoreEntry).max(limits.listItems).default([]),
});
export type Lorebook = z.infer<typeof Lorebook>;

/**
 * A lorebook of its own (SillyTavern's World Info book): the card book's shape, plus which characters and
 * personas it is linked to (SillyTavern keeps those links in its settings, not in the card). Chat books are named
 * by the conversation (`lorebookIds`), global ones by the settings (`globalLorebookIds`).
 */
export const LorebookFields = Lorebook.extend({
  name: shortText.min(1, 'a lorebook needs a name'),
  characterIds: z.array(RecordId).max(1_000).default([]),
  personaIds: z.array(RecordId).max(1_000).default([]),
});
export type LorebookFields = z.infer<typeof LorebookFields>;
export const LorebookPatch = z.strictObject({
  name: shortText.min(1).optional(),
  description: longText.optional(),
  scan_depth: z.number().int().min(0).optional(),
  token_budget: z.number().int().min(0).optional(),
  recursive_scanning: z.boolean().optional(),
  extensions: jsonObject.optional(),
  entries: z.array(LoreEntry).max(limits.listItems).optional(),
  characterIds: z.array(RecordId).max(1_000).optional(),
  personaIds: z.array(RecordId).max(1_000).optional(),
});
export type LorebookPatch = z.infer<typeof LorebookPatch>;

/** SillyTavern's author's note (public/scripts/authors-note.js): inserted `depth` messages from the end every `every` user messages (0 = never). */
export const AuthorsNote = z.object({
  text: longText.default(''),
  depth: z.number().int().min(0).max(1000).default(4),
  role: z.enum(['system', 'user', 'assistant']).default('system'),
  every: z.number().int().min(0).max(1000).default(1),
});
export type AuthorsNote = z.infer<typeof AuthorsNote>;

const TimedEffect = z.object({ start: z.number(), end: z.number(), protected: z.boolean().optional() });
/** World Info sticky / cooldown effects in force in a conversation (SillyTavern's chat_metadata.timedWorldInfo). */
export const LoreTimers = z.object({ sticky: z.record(z.string(), TimedEffect).default({}), cooldown: z.record(z.string(), TimedEffect).default({}) });

// ---- records ------------------------------------------------------------------------------------

export const CharacterFields = z.object({
  name: shortText.min(1, 'a character needs a name'),
  description: longText.default(''),
  personality: longText.default(''),
  scenario: longText.default(''),
  first_mes: longText.default(''),
  mes_example: longText.default(''),
  creator_notes: longText.default(''),
  system_prompt: longText.default(''),
  post_history_instructions: longText.default(''),
  alternate_greetings: z.array(longText).max(limits.listItems).default([]),
  group_only_greetings: z.array(longText).max(limits.listItems).default([]),
  character_book: Lorebook.optional(),
  tags: z.array(shortText).max(limits.listItems).default([]),
  creator: shortText.default(''),
  character_version: shortText.default(''),
  nickname: shortText.optional(),
  creator_notes_multilingual: z.record(z.string(), longText).optional(),
  source: z.array(longText).max(limits.listItems).optional(),
  creation_date: z.number().optional(),
  modification_date: z.number().optional(),
  assets: z.array(jsonObject).max(limits.listItems).optional(),
  /** Card `data.extensions`: unknown keys are kept verbatim. */
  extensions: jsonObject.default({}),
  /** Unknown fields found at the card's top level and in `data`, kept so export gives them back. */
  card_extra: jsonObject.default({}),
  /** Encrypted asset holding the avatar image, if any. */
  avatar_asset: z.string().optional(),
});
export type CharacterFields = z.infer<typeof CharacterFields>;
export type CharacterInput = z.input<typeof CharacterFields>;
export const CharacterPatch = patchOf(CharacterFields);
export type CharacterPatch = Partial<CharacterFields>;

export const ScenarioFields = z.object({
  title: shortText.min(1, 'a scenario needs a title'),
  setting: longText.default(''),
  characterIds: z.array(RecordId).max(1_000).default([]),
  openingMessages: z.array(longText).max(limits.listItems).default([]),
  /** Persona the user plays in this scenario, overriding their default. */
  personaId: RecordId.optional(),
  lorebook: Lorebook.optional(),
});
export type ScenarioFields = z.infer<typeof ScenarioFields>;
export const ScenarioPatch = patchOf(ScenarioFields);
export type ScenarioPatch = Partial<ScenarioFields>;

export const PersonaFields = z.object({
  name: shortText.min(1, 'a persona needs a name'),
  description: longText.default(''),
  avatar_asset: z.string().optional(),
});
export type PersonaFields = z.infer<typeof PersonaFields>;
export const PersonaPatch = patchOf(PersonaFields);
export type PersonaPatch = Partial<PersonaFields>;

export const messageRoles = ['user', 'character', 'narrator', 'system'] as const;
export const MessageRole = z.enum(messageRoles);
export type MessageRole = z.infer<typeof MessageRole>;

export const AlternativeStatus = z.enum(['complete', 'streaming', 'stopped', 'error']);
export type AlternativeStatus = z.infer<typeof AlternativeStatus>;

export const Alternative = z.object({
  id: z.string(),
  text: longText,
  createdAt: z.number(),
  status: AlternativeStatus.default('complete'),
  provider: z.string().optional(),
  model: z.string().optional(),
  /** What went wrong, for status "error". */
  error: z.string().optional(),
  /** The model's thinking, shown collapsed and never sent back to a provider. */
  reasoning: longText.optional(),
});
export type Alternative = z.infer<typeof Alternative>;

/** A message as the API shows it: its current state after every edit, swipe and checkpoint. */
export const Message = z.object({
  id: z.string(),
  role: MessageRole,
  /** Character id for character messages; persona id (if any) for user messages. */
  authorId: z.string().optional(),
  createdAt: z.number(),
  editedAt: z.number().optional(),
  alternatives: z.array(Alternative).min(1),
  /** Index into `alternatives` of the one shown (and sent to the provider). */
  chosen: z.number().int().min(0),
});
export type Message = z.infer<typeof Message>;

export const ConversationMeta = z.object({
  title: shortText.default(''),
  characterIds: z.array(RecordId).max(1_000).default([]),
  scenarioId: RecordId.optional(),
  personaId: RecordId.optional(),
  /** Provider name this conversation prefers; falls back to the global order. */
  provider: z.string().optional(),
  /** Preset name overriding the provider's default preset for this conversation. */
  preset: z.string().max(100).optional(),
  branchedFrom: z.object({ conversationId: RecordId, messageId: z.string() }).optional(),
  /** Chat lorebooks (SillyTavern's chat_metadata.world_info), scanned before every other book. */
  lorebookIds: z.array(RecordId).max(1_000).optional(),
  authorsNote: AuthorsNote.optional(),
  /** Chat-local variables of {{setvar}} / {{getvar}} (SillyTavern's chat_metadata.variables). */
  variables: z.record(z.string().max(limits.shortText), longText).optional(),
  loreTimers: LoreTimers.optional(),
  /**
   * Where an imported SillyTavern chat came from: its header's names and date, and its `chat_metadata` verbatim
   * (author's note, variables, chat lorebook…) for the features that read them and for export back.
   */
  sillytavern: z
    .object({
      userName: shortText.optional(),
      characterName: shortText.optional(),
      createDate: shortText.optional(),
      chatMetadata: jsonObject.optional(),
    })
    .optional(),
  /** Group chats: who answers (order), muted members, auto mode (shared/group/turns.std.ts). */
  group: GroupSettings.optional(),
  /** The running summary of older history (shared/memory.std.ts). */
  memory: ConversationMemory.optional(),
});
export type ConversationMeta = z.infer<typeof ConversationMeta>;
export const ConversationMetaPatch = patchOf(ConversationMeta);

export interface Conversation extends ConversationMeta {
  id: RecordId;
  createdAt: number;
  updatedAt: number;
  messages: Message[];
}

export interface CatalogEntry {
  id: RecordId;
  kind: RecordKind;
  title: string;
  createdAt: number;
  updatedAt: number;
}

export interface Character extends CharacterFields {
  id: RecordId;
  createdAt: number;
  updatedAt: number;
}
export interface Scenario extends ScenarioFields {
  id: RecordId;
  createdAt: number;
  updatedAt: number;
}
export interface Persona extends PersonaFields {
  id: RecordId;
  createdAt: number;
  updatedAt: number;
}

export interface SearchHit {
  recordId: RecordId;
  kind: RecordKind;
  title: string;
  /** Message id when the hit is inside a conversation. */
  messageId?: string;
  /** A short excerpt around the match. */
  excerpt: string;
}
