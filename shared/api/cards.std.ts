import { z } from 'zod';
import { RecordId } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

/** Binary payloads cross the API as base64 (IPC and WebSocket both carry JSON). ~50 MB of file at most. */
const base64 = z.string().max(70 * 1024 * 1024, 'the file is too large').regex(/^[A-Za-z0-9+/=]*$/, 'is not base64');

export const cardFormat = z.enum(['png', 'json', 'charx']);
export type CardFormatName = z.infer<typeof cardFormat>;

export const cardCommands = {
  /** Imports a Character Card V1/V2/V3 (PNG, JSON or CHARX) as a new character; its image becomes the avatar. */
  'cards.import': {
    input: z.object({ fileName: z.string().max(500).default('card'), bytesBase64: base64 }),
    output: returns<{ id: string; name: string; spec: 'v1' | 'v2' | 'v3' }>(),
  },
  /** Writes a character as a card file. */
  'cards.export': {
    /** keepImageMetadata: PNG only; keep the avatar's other metadata chunks (dropped by default). */
    input: z.object({ id: RecordId, format: cardFormat, keepImageMetadata: z.boolean().optional() }),
    output: returns<{ fileName: string; mime: string; bytesBase64: string }>(),
  },
  /** An encrypted asset (avatar), decrypted for display. */
  'assets.get': {
    input: z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'is not an asset id') }),
    output: returns<{ mime: string; bytesBase64: string }>(),
  },
  /** Stores an image as a record's avatar (characters and personas). */
  'assets.setAvatar': {
    input: z.object({ recordId: RecordId, kind: z.enum(['character', 'persona']), mime: z.enum(['image/png', 'image/jpeg', 'image/webp', 'image/gif']), bytesBase64: base64 }),
    output: returns<{ assetId: string }>(),
  },
} satisfies CommandDefs;
