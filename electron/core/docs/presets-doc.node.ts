/** Presets live in the settings document (encrypted like every other), one map entry per name. */
import type * as Y from 'yjs';
import type { PresetSampling, PresetView } from '../../../shared/api/presets.std.ts';

export interface StoredPreset {
  name: string;
  sampling: PresetSampling;
  createdAt: number;
}

const presets = (doc: Y.Doc) => doc.getMap<StoredPreset>('presets');

export function listPresets(doc: Y.Doc): PresetView[] {
  return [...presets(doc).values()].sort((a, b) => a.name.localeCompare(b.name)).map(({ name, sampling }) => ({ name, sampling }));
}

export function getPreset(doc: Y.Doc, name: string): StoredPreset | undefined {
  return presets(doc).get(name);
}

export function putPreset(doc: Y.Doc, p: StoredPreset): void {
  presets(doc).set(p.name, p);
}

export function removePreset(doc: Y.Doc, name: string): boolean {
  if (!presets(doc).has(name)) return false;
  presets(doc).delete(name);
  return true;
}
