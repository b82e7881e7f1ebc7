/**
 * Before a wipe, the vault's public cards are withdrawn from their galleries: the publishing key lives only in the
 * vault, so once it is wiped nobody could ever withdraw them. A gallery that cannot be reached does not stop the
 * wipe (a wipe is often urgent); the report says how many cards stay public.
 */
import type { VaultSession } from '../session.node.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { galleryAddress, unpublishCard } from './client.node.ts';
import { allPublished } from './publisher.node.ts';

export async function withdrawAllPublished(session: VaultSession): Promise<{ withdrawn: number; failed: number }> {
  const doc = session.systemDoc('settings').doc;
  const key = session.publishing.get(false);
  const out = { withdrawn: 0, failed: 0 };
  if (!key) return out;
  for (const [, p] of allPublished(doc)) {
    try {
      await unpublishCard(galleryAddress(p.relayUrl), key, { id: p.galleryId, issuedAt: Date.now() });
      out.withdrawn++;
    } catch (e) {
      // Already gone (withdrawn from another device, or the gallery's retention) counts as withdrawn.
      if (e instanceof MindstageError && e.code === 'not_found') out.withdrawn++;
      else out.failed++;
    }
  }
  return out;
}
