/**
 * What a published record looks like as a card, and back. A character is exactly its card export (portrait and
 * embedded lorebook included, the image's own metadata stripped). A scenario travels as a standard card too — title
 * as the name, setting as the scenario, opening messages as greetings, its lorebook as the character book — marked
 * `extensions.mindstage.kind = "scenario"` so Mindstage imports it as a scenario while other apps read a card.
 * The scenario's cast and persona are other records and stay private: they are never written into it.
 */
import type { CharacterFields, CharacterInput, ScenarioFields } from '../../../shared/domain.std.ts';
import { ScenarioFields as ScenarioSchema } from '../../../shared/domain.std.ts';
import { fail } from '../../../shared/result.std.ts';
import { exportCard, type ImportedCard } from '../cards/index.node.ts';
import { getAsset } from '../docs/assets.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import type { VaultSession } from '../session.node.ts';

export type ShareableKind = 'character' | 'scenario';

export function cardOfRecord(s: VaultSession, id: string, kind: ShareableKind): { card: Uint8Array; name: string } {
  if (kind === 'character') {
    const fields = readFields<CharacterFields>(s.record(id, 'character').doc);
    const avatar = fields.avatar_asset ? getAsset(s, fields.avatar_asset) : undefined;
    return { card: exportCard(fields, 'png', avatar), name: fields.name };
  }
  const sc = readFields<ScenarioFields>(s.record(id, 'scenario').doc);
  const [first = '', ...rest] = sc.openingMessages ?? [];
  const fields: CharacterInput = {
    name: sc.title,
    scenario: sc.setting ?? '',
    first_mes: first,
    alternate_greetings: rest,
    ...(sc.lorebook ? { character_book: sc.lorebook } : {}),
    extensions: { mindstage: { kind: 'scenario' } },
  };
  return { card: exportCard(fields, 'png'), name: sc.title };
}

/** Whether an imported card is a published scenario (by its own marker; anything else is a character). */
export const isScenarioCard = (card: ImportedCard): boolean => (card.fields.extensions.mindstage as { kind?: unknown } | undefined)?.kind === 'scenario';

/** A scenario's fields from such a card, validated as any scenario input is. */
export function scenarioFromCard(card: ImportedCard): ScenarioFields {
  const f = card.fields;
  const parsed = ScenarioSchema.safeParse({
    title: f.name,
    setting: f.scenario,
    openingMessages: [f.first_mes, ...f.alternate_greetings].filter((m) => m !== ''),
    ...(f.character_book ? { lorebook: f.character_book } : {}),
  });
  if (!parsed.success) return fail('usage', `The scenario card is not valid: ${parsed.error.issues[0]?.message ?? 'unexpected value'}.`);
  return parsed.data;
}
