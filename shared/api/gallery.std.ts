/**
 * Public sharing (issue 14): publish a character or scenario to a relay's public gallery, browse and search it,
 * import from it, unpublish. The gallery is plaintext and public by design; what becomes public, and how to take
 * it back, is in docs/security.md ("Public sharing"). The age gate is the `showMature` preference.
 */
import { z } from 'zod';
import { RecordId } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

const GalleryId = z.string().regex(/^[0-9a-f]{32}$/, 'is not a gallery id (32 hex characters)');
/** ws[s]:// or http[s]:// address of a relay; by default the relay sync uses. */
const relayUrl = z.string().min(1).max(2048).optional();

export interface GalleryItemView {
  id: string;
  name: string;
  creator: string;
  tags: string[];
  description: string;
  mature: boolean;
  publishedAt: number;
  updatedAt: number;
  bytes: number;
}

export interface PublishedView {
  galleryId: string;
  /** host[:port] of the relay it is published on. */
  relay: string;
  mature: boolean;
  publishedAt: number;
}

export const galleryCommands = {
  /** Publishes (or republishes) one character or scenario, with its portrait and lorebook, as a plaintext card. */
  'gallery.publish': {
    input: z.strictObject({ recordId: RecordId, mature: z.boolean().default(false), relayUrl }),
    output: returns<PublishedView>(),
  },
  /** Removes it from the relay it was published on. */
  'gallery.unpublish': { input: z.strictObject({ recordId: RecordId }), output: returns<{ galleryId: string; relay: string }>() },
  /** Whether this record is published, and where. */
  'gallery.status': { input: z.strictObject({ recordId: RecordId }), output: returns<{ published: PublishedView | null }>() },
  /** Browse or search. 18+ entries are left out unless the age gate (`showMature`) says otherwise. */
  'gallery.list': {
    input: z.strictObject({ text: z.string().max(200).optional(), relayUrl, offset: z.number().int().min(0).max(100_000).optional() }),
    output: returns<{ relay: string; items: GalleryItemView[]; more: boolean; matureHidden: boolean }>(),
  },
  /**
   * The card image (its portrait), for thumbnails, and what importing it would make: a character or a scenario
   * (the relay's listing cannot say, it reads only the card's name, creator, tags and description); null when the
   * bytes are not a card that imports.
   */
  'gallery.card': {
    input: z.strictObject({ galleryId: GalleryId, relayUrl }),
    output: returns<{ mime: string; bytesBase64: string; kind: 'character' | 'scenario' | null }>(),
  },
  /** Imports through the normal card import (the same validation as a file). */
  'gallery.import': {
    input: z.strictObject({ galleryId: GalleryId, relayUrl }),
    output: returns<{ id: string; name: string; kind: 'character' | 'scenario' }>(),
  },
} satisfies CommandDefs;
