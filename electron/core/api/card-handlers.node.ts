/** Character cards in and out, and avatars: the card library (cards/) does the formats, this does the storing. */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { cardCommands } from '../../../shared/api/cards.std.ts';
import { exportCard, importCard, type ImportedCard } from '../cards/index.node.ts';
import { deleteAsset, getAsset, putAsset } from '../docs/assets.node.ts';
import { readFields, writeFields } from '../docs/fields-doc.node.ts';
import type { CharacterFields } from '../../../shared/domain.std.ts';
import type { CoreState } from './state.node.ts';

const mimeOf = { png: 'image/png', json: 'application/json', charx: 'application/zip' } as const;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** A file name safe on every OS, from the character's name. */
export const fileNameFor = (name: string, ext: string, fallback = 'character') => `${name.replace(/[^\p{L}\p{N} _-]+/gu, '').trim().slice(0, 80) || fallback}.${ext}`;

/** Stores an imported card as a new character, portrait included (the one way a card becomes a record). */
export function storeCharacter(state: CoreState, card: ImportedCard): string {
  const s = state.requireSession();
  const id = s.storage.transaction(() => {
    const avatar = card.avatar ? putAsset(s, card.avatar) : undefined;
    const fields = avatar ? { ...card.fields, avatar_asset: avatar } : card.fields;
    return s.createRecord('character', fields.name, (doc) => writeFields(doc, fields));
  });
  state.emit('records.changed', { ids: [id] });
  return id;
}

export function cardHandlers(state: CoreState): Handlers<typeof cardCommands> {
  return {
    'cards.import': async ({ fileName, bytesBase64 }) => {
      const card = importCard(unb64(bytesBase64), fileName);
      return { id: storeCharacter(state, card), name: card.fields.name, spec: card.spec };
    },
    'cards.export': async ({ id, format, keepImageMetadata }) => {
      const s = state.requireSession();
      const fields = readFields<CharacterFields>(s.record(id, 'character').doc);
      const avatar = fields.avatar_asset ? getAsset(s, fields.avatar_asset) : undefined;
      const bytes = exportCard(fields, format, avatar, [], { keepImageMetadata: keepImageMetadata === true });
      return { fileName: fileNameFor(fields.name, format), mime: mimeOf[format], bytesBase64: b64(bytes) };
    },
    'assets.get': async ({ id }) => {
      const a = getAsset(state.requireSession(), id);
      return { mime: a.mime, bytesBase64: b64(a.bytes) };
    },
    'assets.setAvatar': async ({ recordId, kind, mime, bytesBase64 }) => {
      const s = state.requireSession();
      const live = s.record(recordId, kind);
      const previous = readFields<{ avatar_asset?: string }>(live.doc).avatar_asset;
      const assetId = s.storage.transaction(() => {
        const id = putAsset(s, { mime, bytes: unb64(bytesBase64) });
        writeFields(live.doc, { avatar_asset: id });
        if (previous) deleteAsset(s, previous);
        return id;
      });
      state.emit('records.changed', { ids: [recordId] });
      return { assetId };
    },
  };
}
