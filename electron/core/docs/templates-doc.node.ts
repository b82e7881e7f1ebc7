/**
 * Instruct and context templates for text-completion providers: the ones Mindstage ships (chat/instruct-templates)
 * and the ones imported from SillyTavern, kept in the settings document. An imported template of a shipped one's
 * name replaces it for this vault.
 */
import type * as Y from 'yjs';
import type { TemplatesView } from '../../../shared/api/presets.std.ts';
import { builtinContextTemplates, builtinInstructTemplates } from '../chat/instruct-templates.std.ts';
import { detectTemplate, type ContextTemplate, type InstructTemplate } from '../chat/instruct.std.ts';

const instructMap = (doc: Y.Doc) => doc.getMap<InstructTemplate>('instructTemplates');
const contextMap = (doc: Y.Doc) => doc.getMap<ContextTemplate>('contextTemplates');

function merged<T extends { name: string }>(builtin: T[], stored: Y.Map<T>): T[] {
  const out = builtin.map((t) => stored.get(t.name) ?? t);
  for (const [name, t] of stored) if (!builtin.some((b) => b.name === name)) out.push(t);
  return out;
}

export const instructTemplates = (doc: Y.Doc) => merged(builtinInstructTemplates, instructMap(doc));
export const contextTemplates = (doc: Y.Doc) => merged(builtinContextTemplates, contextMap(doc));

export function hasTemplate(doc: Y.Doc, kind: 'instruct' | 'context', name: string): boolean {
  return (kind === 'instruct' ? instructTemplates(doc) : contextTemplates(doc)).some((t) => t.name === name);
}

export function putInstructTemplate(doc: Y.Doc, t: InstructTemplate): void {
  instructMap(doc).set(t.name, t);
}

export function putContextTemplate(doc: Y.Doc, t: ContextTemplate): void {
  contextMap(doc).set(t.name, t);
}

export function listTemplates(doc: Y.Doc): TemplatesView {
  const builtin = (names: string[]) => (t: { name: string }) => ({ name: t.name, builtin: names.includes(t.name) });
  return {
    instruct: instructTemplates(doc).map(builtin(builtinInstructTemplates.map((t) => t.name))),
    context: contextTemplates(doc).map(builtin(builtinContextTemplates.map((t) => t.name))),
  };
}

/**
 * The templates a text-completion provider uses: its instruct template by name, else the one its model name
 * selects; its context template by name, else the instruct template's namesake, else "Default" (as SillyTavern
 * binds context to instruct).
 */
export function resolveTemplates(doc: Y.Doc, p: { model: string; instruct?: string; context?: string }): { instruct: InstructTemplate; context: ContextTemplate } {
  const all = instructTemplates(doc);
  const instruct = (p.instruct && all.find((t) => t.name === p.instruct)) || detectTemplate(p.model, all);
  const contexts = contextTemplates(doc);
  const context = (p.context && contexts.find((t) => t.name === p.context)) || contexts.find((t) => t.name === instruct.name) || contexts.find((t) => t.name === 'Default')!;
  return { instruct, context };
}
