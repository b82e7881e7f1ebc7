/**
 * Regex scripts in the settings document (encrypted like every other): the global list as one value (the editor
 * saves it whole, in order) and the per-character consent to run a card's own scripts.
 */
import type * as Y from 'yjs';
import { parseRegexScripts, type RegexScript } from '../../../shared/regex/script.std.ts';

const regex = (doc: Y.Doc) => doc.getMap<unknown>('regex');
const consent = (doc: Y.Doc) => doc.getMap<boolean>('regexConsent');

export function readGlobalScripts(doc: Y.Doc): RegexScript[] {
  return parseRegexScripts(regex(doc).get('scripts') ?? []).scripts;
}

export function writeGlobalScripts(doc: Y.Doc, scripts: RegexScript[]): void {
  regex(doc).set('scripts', scripts);
}

export function readConsent(doc: Y.Doc): Map<string, boolean> {
  return new Map(consent(doc).entries());
}

export function writeConsent(doc: Y.Doc, characterId: string, allowed: boolean | null): void {
  if (allowed === null) consent(doc).delete(characterId);
  else consent(doc).set(characterId, allowed);
}
