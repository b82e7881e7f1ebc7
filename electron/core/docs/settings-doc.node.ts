/**
 * The settings document: providers (with their API keys — this document is encrypted like every other), their
 * fallback order, and preferences. API keys leave this module only towards the provider client, never to the API.
 */
import { hostname } from 'node:os';
import type * as Y from 'yjs';
import type { PreferencesView, ProviderSampling, ProviderView } from '../../../shared/api/chat.std.ts';
import type { z } from 'zod';
import type { PresetSampling } from '../../../shared/api/presets.std.ts';
import type { ContextTemplate, InstructTemplate } from '../chat/instruct.std.ts';

export interface StoredProvider {
  name: string;
  baseUrl: string;
  model: string;
  apiKey?: string;
  contextWindow: number;
  maxTokens: number;
  sampling: z.infer<typeof ProviderSampling>;
  /** Name of the default preset. */
  preset?: string;
  /** Absent on providers saved before text completion existed: chat. */
  completion?: 'chat' | 'text';
  instruct?: string;
  context?: string;
  createdAt: number;
}

/** A provider as one request uses it: its own settings, with the preset in force resolved. */
export interface ResolvedProvider extends StoredProvider {
  /** When set, the request carries exactly these sampler parameters (and none of `sampling`). */
  presetSampling?: PresetSampling;
  presetName?: string;
  /** Text completion: the templates in force. */
  templates?: { instruct: InstructTemplate; context: ContextTemplate };
}

/** Every preference the UI sets (shared/api/chat.std.ts says what each means). */
export type Preferences = PreferencesView;

export const defaultPreferences: Preferences = {
  idleLockMinutes: 15,
  theme: 'system',
  favourites: [],
  chatStyle: 'bubbles',
  fontSize: 16,
  chatWidth: 'medium',
  readAloud: false,
  voices: {},
};

const providers = (doc: Y.Doc) => doc.getMap<StoredProvider>('providers');
const prefs = (doc: Y.Doc) => doc.getMap<unknown>('prefs');

export function listProviders(doc: Y.Doc): StoredProvider[] {
  const all = [...providers(doc).values()];
  const order = (prefs(doc).get('providerOrder') as string[] | undefined) ?? [];
  const rank = (name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  // Providers missing from the order (added on another device meanwhile) come last, oldest first.
  return all.sort((a, b) => rank(a.name) - rank(b.name) || a.createdAt - b.createdAt);
}

export function getProvider(doc: Y.Doc, name: string): StoredProvider | undefined {
  return providers(doc).get(name);
}

export function putProvider(doc: Y.Doc, p: StoredProvider): void {
  providers(doc).set(p.name, p);
}

export function removeProvider(doc: Y.Doc, name: string): void {
  doc.transact(() => {
    providers(doc).delete(name);
    const order = (prefs(doc).get('providerOrder') as string[] | undefined) ?? [];
    if (order.includes(name)) prefs(doc).set('providerOrder', order.filter((n) => n !== name));
  });
}

export function setProviderOrder(doc: Y.Doc, names: string[]): void {
  prefs(doc).set('providerOrder', names);
}

export function toProviderView(p: StoredProvider): ProviderView {
  return {
    name: p.name,
    baseUrl: p.baseUrl,
    model: p.model,
    hasApiKey: Boolean(p.apiKey),
    contextWindow: p.contextWindow,
    maxTokens: p.maxTokens,
    sampling: p.sampling,
    ...(p.preset ? { preset: p.preset } : {}),
    completion: p.completion ?? 'chat',
    ...(p.instruct ? { instruct: p.instruct } : {}),
    ...(p.context ? { context: p.context } : {}),
  };
}

/**
 * One map entry per preference, so two devices changing different preferences at the same time both keep their
 * change when they sync (a single object was last-writer-wins as a whole: a theme changed on the laptop undid a
 * favourite added on the desktop). Vaults from before kept them as one object under `prefs.preferences`: it stays,
 * read beneath the entries. It is not folded into entries on the first write: two devices folding at once would each
 * write every old value, and one device's fold could undo the other's change. A cleared preference is a `null`
 * entry, so the old object's value does not come back from beneath it.
 */
const prefEntries = (doc: Y.Doc) => doc.getMap<unknown>('preferences');

export function readPreferences(doc: Y.Doc): Preferences {
  const out: Record<string, unknown> = { ...defaultPreferences, ...(prefs(doc).get('preferences') as Partial<Preferences> | undefined) };
  for (const [k, v] of prefEntries(doc).entries()) {
    if (v === null) out[k] = (defaultPreferences as unknown as Record<string, unknown>)[k];
    else out[k] = v;
    if (out[k] === undefined) delete out[k];
  }
  return out as unknown as Preferences;
}

export function writePreferences(doc: Y.Doc, patch: Partial<Preferences>): void {
  const entries = prefEntries(doc);
  doc.transact(() => {
    for (const [k, v] of Object.entries(patch)) entries.set(k, v === undefined ? null : v);
  });
}

/**
 * Names the user gives their devices, by device id. They live here, in the encrypted settings document, so every
 * device shows the same names and the relay, which knows devices only by key, never learns them. One entry per
 * device: two devices naming themselves at once both keep their name.
 */
const deviceNames = (doc: Y.Doc) => doc.getMap<string>('deviceNames');

export function readDeviceNames(doc: Y.Doc): Map<string, string> {
  return new Map(deviceNames(doc).entries());
}

/** What a device is called before the user names it: its computer's name (kept only inside the vault). */
export const defaultDeviceName = (): string => hostname().trim().slice(0, 60) || 'This computer';

export function setDeviceName(doc: Y.Doc, deviceIdHex: string, name: string): void {
  deviceNames(doc).set(deviceIdHex, name);
}
