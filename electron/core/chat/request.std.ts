/**
 * What one provider is sent for a built prompt: the message list as is (chat completion), or the same list in the
 * provider's instruct format as one prompt string with its stop strings (text completion). The one place that
 * decides, so a reply, impersonate and the inspector always agree on what goes out.
 */
import { formatInstruct, type ContextTemplate, type InstructPrompt, type InstructTemplate } from './instruct.std.ts';
import type { ChatPromptMessage, PromptPart } from './prompt.std.ts';

/** A chat message as sent: text, or (a user turn only, as the OpenAI format allows) text and images. */
export type ChatRequestMessage = ChatPromptMessage | { role: 'user'; content: ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[] };

export type Payload =
  | { kind: 'chat'; messages: ChatRequestMessage[] }
  | { kind: 'text'; prompt: string; stop: string[]; pieces: InstructPrompt['pieces']; instruct: string; context: string };

export interface PayloadTarget {
  templates?: { instruct: InstructTemplate; context: ContextTemplate };
  presetSampling?: { stop?: string[] };
}

export interface PayloadNames {
  userName: string;
  charName: string;
  group: boolean;
}

export function payloadFor(
  messages: ChatPromptMessage[],
  parts: PromptPart[],
  provider: PayloadTarget,
  names: PayloadNames,
  writeAs: 'character' | 'user' = 'character',
): Payload {
  const t = provider.templates;
  if (!t) return { kind: 'chat', messages };
  const formatted = formatInstruct(messages, { template: t.instruct, context: t.context, parts, ...names, writeAs, extraStop: provider.presetSampling?.stop ?? [] });
  return { kind: 'text', ...formatted, instruct: t.instruct.name, context: t.context.name };
}

/**
 * Adds an image (a data: URL) to the last user turn of a chat payload, after its text: the portrait sharing the
 * user opted into (docs/privacy.md "Consent"). Without a user turn, or for text completion, the payload is unchanged.
 */
export function withImage(payload: Payload, dataUrl: string): Payload {
  if (payload.kind !== 'chat') return payload;
  const i = payload.messages.findLastIndex((m) => m.role === 'user');
  const m = payload.messages[i];
  if (!m || typeof m.content !== 'string') return payload;
  const messages = [...payload.messages];
  messages[i] = { role: 'user', content: [{ type: 'text', text: m.content }, { type: 'image_url', image_url: { url: dataUrl } }] };
  return { kind: 'chat', messages };
}
