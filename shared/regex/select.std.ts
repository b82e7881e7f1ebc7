/**
 * Which scripts run in a conversation: the user's global scripts, then each member's card scripts the user has
 * allowed for that character (SillyTavern's "scoped" scripts, which it also runs only once allowed). A card whose
 * scripts the user has not decided on is reported as pending, so the UI can ask.
 */
import { parseRegexScripts, type RegexScript } from './script.std.ts';

export function cardScripts(extensions: Record<string, unknown> | undefined): RegexScript[] {
  const raw = extensions?.['regex_scripts'];
  return Array.isArray(raw) ? parseRegexScripts(raw).scripts : [];
}

export interface RegexMember {
  id: string;
  name: string;
  extensions?: Record<string, unknown>;
}

export interface ConversationScripts {
  scripts: RegexScript[];
  /** Members whose card has scripts the user has neither allowed nor refused. */
  pending: Array<{ characterId: string; name: string; count: number }>;
}

export function scriptsFor(global: readonly RegexScript[], members: readonly RegexMember[], consent: ReadonlyMap<string, boolean>): ConversationScripts {
  const scripts = [...global];
  const pending: ConversationScripts['pending'] = [];
  for (const m of members) {
    const own = cardScripts(m.extensions);
    if (own.length === 0) continue;
    const decided = consent.get(m.id);
    if (decided === true) scripts.push(...own);
    else if (decided === undefined) pending.push({ characterId: m.id, name: m.name, count: own.length });
  }
  return { scripts, pending };
}
