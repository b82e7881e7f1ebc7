/**
 * Providers, chat and the privacy ledger. Streaming replies arrive as events (events.std.ts: chat.delta, chat.done);
 * the commands return as soon as the messages exist, so the UI can show them at once.
 */
import { z } from 'zod';
import { AuthorsNote, limits, RecordId } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';
import { presetName } from './presets.std.ts';

export const ProviderSampling = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

export const templateName = z.string().min(1).max(100);

const providerName = z.string().min(1, 'a provider needs a name').max(100).regex(/^[^\s].*$/, 'must not start with a space');

/** A provider's settings without defaults, so the same rules serve both adding and patching. */
const providerFields = {
  baseUrl: z.string().url('must be a URL such as https://api.openai.com/v1').max(500),
  model: z.string().min(1, 'a provider needs a model').max(200),
  apiKey: z.string().max(500),
  contextWindow: z.number().int().min(512).max(10_000_000),
  maxTokens: z.number().int().min(1).max(1_000_000),
  sampling: ProviderSampling,
  /** The preset this provider's requests use unless a conversation names another. */
  preset: presetName,
  /**
   * `chat`: `/chat/completions` with a message list. `text`: `/completions` with one prompt in the model's instruct
   * format (local servers: llama.cpp, KoboldCpp, text-generation-webui, Ollama, LM Studio).
   */
  completion: z.enum(['chat', 'text']),
  /** Text completion: the instruct template by name; absent = detected from the model name. */
  instruct: templateName,
  /** Text completion: the context template by name; absent = the instruct template's own, else "Default". */
  context: templateName,
};

export const ProviderInput = z.object({
  name: providerName,
  ...providerFields,
  apiKey: providerFields.apiKey.optional(),
  contextWindow: providerFields.contextWindow.default(8192),
  maxTokens: providerFields.maxTokens.default(512),
  sampling: providerFields.sampling.default({}),
  preset: providerFields.preset.optional(),
  completion: providerFields.completion.default('chat'),
  instruct: providerFields.instruct.optional(),
  context: providerFields.context.optional(),
});
/** A patch changes only the fields it names (zod's .partial() would keep defaults and reset the others). */
const ProviderPatch = z
  .object({ ...providerFields, apiKey: providerFields.apiKey.nullable(), preset: providerFields.preset.nullable(), instruct: providerFields.instruct.nullable(), context: providerFields.context.nullable() })
  .partial()
  .strict();
export type ProviderInput = z.input<typeof ProviderInput>;

/** What the API shows of a provider: never the API key itself. */
export interface ProviderView {
  name: string;
  baseUrl: string;
  model: string;
  hasApiKey: boolean;
  contextWindow: number;
  maxTokens: number;
  sampling: z.infer<typeof ProviderSampling>;
  preset?: string;
  completion: 'chat' | 'text';
  instruct?: string;
  context?: string;
}

export interface ProviderPreset {
  id: string;
  label: string;
  baseUrl: string;
  model: string;
  needsApiKey: boolean;
  local: boolean;
  contextWindow: number;
  /** Servers whose chat endpoint is missing or poor are set up for text completion. */
  completion?: 'text';
}

export interface LedgerEntryView {
  at: number;
  host: string;
  /** `summary`: a conversation's memory being made (shared/memory.std.ts). */
  purpose: 'chat' | 'image' | 'test' | 'gallery' | 'summary';
  bytesOut: number;
  bytesIn: number;
  status: number | null;
  outcome: string;
}

/** The prompt the next reply would send, part by part (the prompt inspector). */
export interface PromptInspection {
  messages: { role: 'system' | 'user' | 'assistant'; content: string; tokens: number; part: string }[];
  /**
   * Text completion: the one prompt string sent (the messages in the instruct template's format), its pieces
   * counted apart, and the stop strings. `budget.used` is then the count of `prompt` itself.
   */
  text?: { instruct: string; context: string; prompt: string; stop: string[]; pieces: { part: string; role: string; text: string; tokens: number }[] };
  /** Each entry that fired: its book (record id, or character:/scenario: for a card's or scenario's own book), where it went and why. */
  lore: { entry: string; reason: string; book: string; position: string; depth?: number }[];
  /**
   * The conversation's memory when it went in: where (in the main message before or after the character, or at a
   * depth as a role; a depth's message is the one whose `part` is `memory`), its tokens, and why it is there.
   */
  memory?: { position: string; depth?: number; role?: string; tokens: number; reason: string };
  budget: {
    /** The provider and model the counts are for (the first one a reply would try). */
    provider: string | null;
    model: string;
    tokenizer: string;
    /** True when no tokenizer of the model's family was found and counts are estimates. */
    estimate: boolean;
    contextWindow: number;
    maxTokens: number;
    /** contextWindow − maxTokens. */
    available: number;
    /** Every message's tokens plus the reply's priming: what the request holds. */
    used: number;
    historyIncluded: number;
    historyDropped: number;
    overBudget: boolean;
  };
}

export interface ChatStarted {
  conversationId: string;
  /** The user's message, when the command added one. */
  userMessageId?: string;
  /** The message the reply streams into, and the alternative being written. */
  replyMessageId: string;
  alternativeId: string;
}

const conversationId = RecordId;

export const chatStyles = ['bubbles', 'flat', 'document'] as const;
export const chatWidths = ['narrow', 'medium', 'wide'] as const;

/**
 * SillyTavern's global World Info settings (world-info.js `world_info_*`), each optional: unset is SillyTavern's
 * default. Recursion itself is `loreRecursive`. `maxRecursionSteps` 0 means our cap (10 passes); SillyTavern lets
 * only one of it and `minActivations` be non-zero, and so do we (max recursion steps wins).
 */
export const WorldInfoSettings = z
  .object({
    /** How many of the newest messages a book that sets none scans (default 2). */
    scanDepth: z.number().int().min(0).max(1000),
    /** A book's token budget when it sets none, as a percentage of the prompt's budget (default 25). */
    budgetPercent: z.number().int().min(1).max(100),
    maxRecursionSteps: z.number().int().min(0).max(10),
    /** Keep scanning one message deeper until this many entries are active (0: off). */
    minActivations: z.number().int().min(0).max(100),
    /** …but no deeper than this many messages (0: as far as the history goes). */
    minActivationsDepthMax: z.number().int().min(0).max(1000),
    /** Defaults for entries that set none. */
    caseSensitive: z.boolean(),
    matchWholeWords: z.boolean(),
  })
  .partial()
  .strict();
export type WorldInfoSettings = z.infer<typeof WorldInfoSettings>;

export const preferencesShape = z
  .object({
    idleLockMinutes: z.number().int().min(0).max(24 * 60),
    theme: z.enum(['system', 'light', 'dark']),
    defaultPersonaId: RecordId.optional(),
    /** Characters marked as favourites in the library (record ids). */
    favourites: z.array(RecordId).max(10_000),
    /** How the chat looks (renderer/chat/appearance.dom.ts). */
    chatStyle: z.enum(chatStyles),
    fontSize: z.number().int().min(12).max(26),
    chatWidth: z.enum(chatWidths),
    /** The theme's accent colour, #rrggbb; empty = the theme's own. */
    accent: z.union([z.literal(''), z.string().regex(/^#[0-9a-f]{6}$/i, 'is not a colour like #3b6fd8')]),
    /** Offer "Read aloud" on messages, with the system's own (offline) voices. */
    readAloud: z.boolean(),
    /** A voice per character: record id → the system voice's name. */
    voices: z.record(RecordId, z.string().max(200)).refine((v) => Object.keys(v).length <= 10_000, 'too many voices'),
    /** Lorebooks in force in every conversation (SillyTavern's global World Info). */
    globalLorebookIds: z.array(RecordId).max(1_000),
    /** The author's note a new conversation starts with. */
    authorsNoteDefault: AuthorsNote,
    /** World Info recursion for every book (SillyTavern's global "Recursive scan"); a book can also ask for it. */
    loreRecursive: z.boolean(),
    /** The age gate: show 18+ entries of public galleries (off until the user says they are 18 or older). */
    showMature: z.boolean(),
    /** The other global World Info settings. */
    worldInfo: WorldInfoSettings,
  })
  .partial()
  .strict();

export interface PreferencesView {
  idleLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  defaultPersonaId?: string;
  favourites: string[];
  chatStyle: (typeof chatStyles)[number];
  fontSize: number;
  chatWidth: (typeof chatWidths)[number];
  accent?: string;
  readAloud: boolean;
  voices: Record<string, string>;
  globalLorebookIds?: string[];
  authorsNoteDefault?: AuthorsNote;
  loreRecursive?: boolean;
  showMature?: boolean;
  worldInfo?: WorldInfoSettings;
}

export const providerCommands = {
  'settings.get': { input: z.object({}), output: returns<PreferencesView>() },
  'settings.update': { input: preferencesShape, output: returns<PreferencesView>() },
  'provider.presets': { input: z.object({}), output: returns<ProviderPreset[]>() },
  'provider.list': { input: z.object({}), output: returns<ProviderView[]>() },
  'provider.add': { input: ProviderInput, output: returns<null>() },
  'provider.update': {
    input: z.object({ name: providerName, patch: ProviderPatch }),
    output: returns<null>(),
  },
  'provider.remove': { input: z.object({ name: providerName }), output: returns<null>() },
  /** Sets the fallback order: the first is tried first. Every provider must be named once. */
  'provider.order': { input: z.object({ names: z.array(providerName).max(100) }), output: returns<null>() },
} satisfies CommandDefs;

export const chatCommands = {
  /**
   * The models the endpoint lists (`/models`), for a saved provider (`name`) or one being added (`baseUrl`, `apiKey`).
   * Many local servers list nothing useful: the editor keeps free text either way.
   */
  'provider.models': {
    input: z.object({ name: providerName.optional(), baseUrl: providerFields.baseUrl.optional(), apiKey: providerFields.apiKey.optional() }),
    output: returns<{ models: string[] }>(),
  },
  /**
   * The prompt the next reply in this conversation would send, labelled and counted (nothing is sent); with
   * `messageId` (a character message), the prompt that reply was made from, rebuilt from the history before it with
   * the provider that wrote it.
   */
  'chat.prompt': { input: z.object({ conversationId, messageId: z.string().min(1).max(200).optional() }), output: returns<PromptInspection>() },
  /** A tiny real request, to check the URL, model and key. */
  'provider.test': { input: z.object({ name: providerName }), output: returns<{ ok: boolean; message: string; latencyMs: number }>() },
  /** Adds the user's message and streams the reply of the character whose turn it is (or `characterId`). */
  'chat.send': {
    input: z.object({ conversationId, text: z.string().min(1).max(limits.longText), characterId: RecordId.optional() }),
    output: returns<ChatStarted>(),
  },
  /** Stops the reply streaming in this conversation; the partial text is kept and marked "stopped". */
  'chat.stop': { input: z.object({ conversationId }), output: returns<null>() },
  /** Streams a new alternative for a character message (default: the last one), kept beside the old as a swipe. */
  'chat.regenerate': { input: z.object({ conversationId, messageId: z.string().optional() }), output: returns<ChatStarted>() },
  /** Streams more text onto a character message (default: the last one). */
  'chat.continue': { input: z.object({ conversationId, messageId: z.string().optional() }), output: returns<ChatStarted>() },
  /**
   * Impersonate (SillyTavern's sense): the AI writes the user's next turn and returns it for the composer.
   * Nothing is stored; the user sends it (or not) like anything they typed.
   */
  'chat.suggestUserTurn': { input: z.object({ conversationId }), output: returns<{ text: string; provider: string }>() },
  /** Asks a character to speak next without a user message (group chats, or to nudge). "Let <name> speak". */
  'chat.impersonate': { input: z.object({ conversationId, characterId: RecordId }), output: returns<ChatStarted>() },
  /** Generates a portrait through the first provider with an images endpoint; stored as the character's avatar. */
  'chat.generatePortrait': { input: z.object({ characterId: RecordId, prompt: z.string().max(4000).optional() }), output: returns<{ assetId: string }>() },

  'ledger.list': { input: z.object({ limit: z.number().int().min(1).max(100_000).default(1000) }), output: returns<LedgerEntryView[]>() },
} satisfies CommandDefs;
