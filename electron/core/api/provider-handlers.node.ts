/** Provider configuration and preferences, kept in the encrypted settings document. API keys never come back out. */
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { ProviderPreset, providerCommands } from '../../../shared/api/chat.std.ts';
import {
  getProvider,
  listProviders,
  putProvider,
  readPreferences,
  removeProvider,
  setProviderOrder,
  toProviderView,
  writePreferences,
} from '../docs/settings-doc.node.ts';
import { getPreset } from '../docs/presets-doc.node.ts';
import { hasTemplate } from '../docs/templates-doc.node.ts';
import type { CoreState } from './state.node.ts';

/** Starting points for the provider form. Local servers make offline chat possible. */
export const providerPresets: ProviderPreset[] = [
  { id: 'openai', label: 'OpenAI', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', needsApiKey: true, local: false, contextWindow: 128_000 },
  { id: 'openrouter', label: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', model: 'openai/gpt-4o-mini', needsApiKey: true, local: false, contextWindow: 128_000 },
  { id: 'ollama', label: 'Ollama (local)', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1', needsApiKey: false, local: true, contextWindow: 8_192 },
  { id: 'lmstudio', label: 'LM Studio (local)', baseUrl: 'http://127.0.0.1:1234/v1', model: 'local-model', needsApiKey: false, local: true, contextWindow: 8_192 },
  { id: 'llamacpp', label: 'llama.cpp server (local)', baseUrl: 'http://127.0.0.1:8080/v1', model: 'local-model', needsApiKey: false, local: true, contextWindow: 8_192 },
  // Set up as SillyTavern users drive it: text completion in the model's instruct format.
  { id: 'koboldcpp', label: 'KoboldCpp (local)', baseUrl: 'http://127.0.0.1:5001/v1', model: 'koboldcpp', needsApiKey: false, local: true, contextWindow: 8_192, completion: 'text' },
];

export function providerHandlers(state: CoreState): Handlers<typeof providerCommands> {
  const settings = () => state.requireSession().systemDoc('settings').doc;
  const find = (name: string) => {
    const p = getProvider(settings(), name);
    if (!p) throw new MindstageError('not_found', `No provider named "${name}".`);
    return p;
  };
  const requirePreset = (name: string) => {
    if (!getPreset(settings(), name)) throw new MindstageError('not_found', `No preset named "${name}".`);
  };
  const requireTemplates = (p: { instruct?: string | null; context?: string | null }) => {
    if (p.instruct && !hasTemplate(settings(), 'instruct', p.instruct)) throw new MindstageError('not_found', `No instruct template named "${p.instruct}".`);
    if (p.context && !hasTemplate(settings(), 'context', p.context)) throw new MindstageError('not_found', `No context template named "${p.context}".`);
  };
  return {
    'settings.get': async () => readPreferences(settings()),
    'settings.update': async (patch) => {
      for (const id of patch.globalLorebookIds ?? []) {
        const e = getCatalogEntry(state.requireSession().catalog, id);
        if (!e || e.kind !== 'lorebook') throw new MindstageError('not_found', `No lorebook with id ${id}.`, { recordId: id });
      }
      writePreferences(settings(), patch);
      return readPreferences(settings());
    },
    'provider.presets': async () => providerPresets,
    'provider.list': async () => listProviders(settings()).map(toProviderView),
    'provider.add': async (p) => {
      if (p.preset !== undefined) requirePreset(p.preset);
      requireTemplates(p);
      if (getProvider(settings(), p.name)) throw new MindstageError('exists', `A provider named "${p.name}" already exists.`);
      const { apiKey, ...rest } = p;
      putProvider(settings(), { ...rest, ...(apiKey ? { apiKey } : {}), createdAt: Date.now() });
      return null;
    },
    'provider.update': async ({ name, patch }) => {
      const current = find(name);
      const { apiKey, preset, instruct, context, ...rest } = patch;
      if (preset) requirePreset(preset);
      requireTemplates({ instruct, context });
      const next = { ...current, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
      if (apiKey === null) delete next.apiKey;
      else if (apiKey !== undefined) next.apiKey = apiKey;
      if (preset === null) delete next.preset;
      else if (preset !== undefined) next.preset = preset;
      if (instruct === null) delete next.instruct;
      else if (instruct !== undefined) next.instruct = instruct;
      if (context === null) delete next.context;
      else if (context !== undefined) next.context = context;
      putProvider(settings(), next);
      return null;
    },
    'provider.remove': async ({ name }) => {
      find(name);
      removeProvider(settings(), name);
      return null;
    },
    'provider.order': async ({ names }) => {
      const existing = listProviders(settings()).map((p) => p.name);
      const same = names.length === existing.length && new Set(names).size === names.length && names.every((n) => existing.includes(n));
      if (!same) throw new MindstageError('usage', `Name every provider exactly once: ${existing.join(', ') || '(none yet)'}.`);
      setProviderOrder(settings(), names);
      return null;
    },
  };
}
