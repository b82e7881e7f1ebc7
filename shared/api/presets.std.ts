/**
 * Named sampler presets. A provider may name a default preset and a conversation may override it; the request
 * then carries exactly the preset's parameters (docs/chat.md, "Presets").
 */
import { z } from 'zod';
import { returns, type CommandDefs } from './contract.std.ts';

export const presetName = z.string().min(1, 'a preset needs a name').max(100).regex(/^[^\s].*$/, 'must not start with a space');

/** Sampler settings, each optional: a preset sends only what it sets. Names follow the OpenAI request fields. */
export const PresetSampling = z
  .object({
    temperature: z.number().min(0).max(5),
    top_p: z.number().min(0).max(1),
    top_k: z.number().int().min(0).max(100_000),
    min_p: z.number().min(0).max(1),
    repetition_penalty: z.number().min(0).max(10),
    frequency_penalty: z.number().min(-2).max(2),
    presence_penalty: z.number().min(-2).max(2),
    seed: z.number().int(),
    max_tokens: z.number().int().min(1).max(1_000_000),
    stop: z.array(z.string().min(1).max(1000)).max(16),
    reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']),
  })
  .partial()
  .strict();
export type PresetSampling = z.infer<typeof PresetSampling>;

export const PresetInput = z.object({ name: presetName, sampling: PresetSampling });
export interface PresetView {
  name: string;
  sampling: PresetSampling;
}

/** Instruct and context templates for text-completion providers: shipped ones and imported ones. */
export interface TemplatesView {
  instruct: { name: string; builtin: boolean }[];
  context: { name: string; builtin: boolean }[];
}

export const presetCommands = {
  'template.list': { input: z.object({}), output: returns<TemplatesView>() },
  'preset.list': { input: z.object({}), output: returns<PresetView[]>() },
  /** Adds a preset, or replaces the one with the same name. */
  'preset.save': { input: PresetInput, output: returns<null>() },
  'preset.remove': { input: z.object({ name: presetName }), output: returns<null>() },
} satisfies CommandDefs;
