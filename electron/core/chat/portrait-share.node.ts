/**
 * The "portraits-in-chat" sharing: when the user has granted it, a reply's request carries the speaking
 * character's portrait. Read at the moment each request is built, so a grant or revoke counts from the next one.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { getAsset } from '../docs/assets.node.ts';
import { consentGranted } from '../docs/consent-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { ChatContext } from './context.node.ts';
import { withImage, type Payload } from './request.std.ts';

const SENDABLE = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

export function withPortraitIfShared(s: VaultSession, ctx: ChatContext, speaker: string, payload: Payload): Payload {
  if (payload.kind !== 'chat' || !consentGranted(s.systemDoc('settings').doc, 'portraits-in-chat')) return payload;
  const assetId = ctx.characters.get(speaker)?.avatar_asset;
  if (!assetId) return payload;
  try {
    const a = getAsset(s, assetId);
    if (!SENDABLE.has(a.mime)) return payload;
    return withImage(payload, `data:${a.mime};base64,${Buffer.from(a.bytes).toString('base64')}`);
  } catch (e) {
    // A portrait deleted meanwhile: the reply goes without it.
    if (e instanceof MindstageError && e.code === 'not_found') return payload;
    throw e;
  }
}
