/**
 * What one provider is sent for a built prompt: the message list as is (chat completion), or the same list in the
 * provider's instruct format as one prompt string with its stop strings (text completion). The one place that
 * decides, so a reply, impersonate and the inspector always agree on what goes out.
 */
import { formatInstruct, type ContextTemplate, type InstructPrompt, type InstructTemplate } from './instruct.std.ts';
import type { ChatPromptMessage, PromptPart } from './prompt.std.ts';

export type Payload =
  | { kind: 'chat'; messages: ChatPromptMessage[] }
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
