/** Named sampler presets, kept in the settings document. */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { presetCommands } from '../../../shared/api/presets.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { getPreset, listPresets, putPreset, removePreset } from '../docs/presets-doc.node.ts';
import { listTemplates } from '../docs/templates-doc.node.ts';
import type { CoreState } from './state.node.ts';

export function presetHandlers(state: CoreState): Handlers<typeof presetCommands> {
  const settings = () => state.requireSession().systemDoc('settings').doc;
  return {
    'preset.list': async () => listPresets(settings()),
    'template.list': async () => listTemplates(settings()),
    'preset.save': async ({ name, sampling }) => {
      const s = state.requireSession();
      const doc = s.systemDoc('settings').doc;
      putPreset(doc, { name, sampling, createdAt: getPreset(doc, name)?.createdAt ?? s.now() });
      return null;
    },
    'preset.remove': async ({ name }) => {
      if (!removePreset(settings(), name)) throw new MindstageError('not_found', `No preset named "${name}".`);
      return null;
    },
  };
}
