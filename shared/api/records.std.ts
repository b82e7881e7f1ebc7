import { z } from 'zod';
import {
  CharacterFields,
  CharacterPatch,
  ConversationMeta,
  ConversationMetaPatch,
  MessageRole,
  PersonaFields,
  PersonaPatch,
  RecordId,
  RecordKind,
  ScenarioFields,
  ScenarioPatch,
  limits,
  type CatalogEntry,
  type Character,
  type Conversation,
  type Message,
  type Persona,
  type Scenario,
  type SearchHit,
} from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

const byId = z.object({ id: RecordId });
const created = returns<{ id: string }>();
const done = returns<null>();

export const recordCommands = {
  'records.list': { input: z.object({ kind: RecordKind.optional() }), output: returns<CatalogEntry[]>() },

  'character.create': { input: CharacterFields, output: created },
  'character.get': { input: byId, output: returns<Character>() },
  'character.update': { input: z.object({ id: RecordId, patch: CharacterPatch }), output: done },
  'character.delete': { input: byId, output: done },

  'scenario.create': { input: ScenarioFields, output: created },
  'scenario.get': { input: byId, output: returns<Scenario>() },
  'scenario.update': { input: z.object({ id: RecordId, patch: ScenarioPatch }), output: done },
  'scenario.delete': { input: byId, output: done },

  'persona.create': { input: PersonaFields, output: created },
  'persona.get': { input: byId, output: returns<Persona>() },
  'persona.update': { input: z.object({ id: RecordId, patch: PersonaPatch }), output: done },
  'persona.delete': { input: byId, output: done },

  /**
   * `withGreeting`: the conversation opens with the scenario's opening messages if it has any, else with each
   * character's greeting (first_mes), the card's alternate greetings offered as alternatives; in a group, one
   * greeting per member, its group-only greetings first.
   */
  'conversation.create': { input: ConversationMeta.extend({ withGreeting: z.boolean().optional() }), output: created },
  'conversation.get': { input: byId, output: returns<Conversation>() },
  'conversation.update': { input: z.object({ id: RecordId, patch: ConversationMetaPatch }), output: done },
  'conversation.delete': { input: byId, output: done },
  'conversation.addMessage': {
    input: z.object({
      id: RecordId,
      role: MessageRole,
      text: z.string().max(limits.longText, `must be at most ${limits.longText} characters`),
      authorId: z.string().optional(),
    }),
    output: returns<Message>(),
  },
  'conversation.editMessage': {
    input: z.object({ id: RecordId, messageId: z.string(), text: z.string().max(limits.longText) }),
    output: done,
  },
  'conversation.deleteMessage': { input: z.object({ id: RecordId, messageId: z.string() }), output: done },
  'conversation.chooseAlternative': {
    input: z.object({ id: RecordId, messageId: z.string(), index: z.number().int().min(0) }),
    output: done,
  },
  /** A new conversation holding every message up to and including `messageId`. */
  'conversation.branch': { input: z.object({ id: RecordId, messageId: z.string() }), output: created },

  'search.query': { input: z.object({ text: z.string().min(1).max(limits.shortText), limit: z.number().int().min(1).max(1000).default(100) }), output: returns<SearchHit[]>() },

  /** Everything, decrypted, in the export format (docs/export-format.md). Returns the JSON text. */
  'data.export': { input: z.object({}), output: returns<{ json: string }>() },
  'data.import': { input: z.object({ json: z.string().max(512 * 1024 * 1024) }), output: returns<{ imported: number }>() },
} satisfies CommandDefs;
