/**
 * Bringing data in from SillyTavern (and Mindstage exports) and writing one conversation out in other apps'
 * formats. Import takes files, not paths, so the renderer (files or a folder dropped in) and the CLI (a path it
 * reads) share one implementation; `shared/import-paths.std.ts` says which files of a folder matter.
 */
import { z } from 'zod';
import { RecordId } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';
import { exportFormats } from '../export-formats.std.ts';

export interface ImportCounts {
  conversations: number;
  characters: number;
  lorebooks: number;
  presets: number;
  personas: number;
}

/**
 * What an import did: how many records of each kind it added, each file it left out with the reason, and (only
 * when there are any) notes on files it imported with something missing — a chat naming a lorebook it could not find.
 */
export interface ImportReport {
  imported: ImportCounts;
  skipped: { path: string; reason: string }[];
  notes?: { path: string; note: string }[];
}

export const ImportFile = z.object({
  /** Path relative to what the user chose (a folder's name first), with `/` separators. */
  path: z.string().min(1).max(4096),
  bytesBase64: z.string().max(700 * 1024 * 1024),
});


export { exportFormats, type ExportFormat } from '../export-formats.std.ts';

export const transferCommands = {
  /**
   * Imports SillyTavern chats (solo and group), a user folder's characters, groups, World Info, presets and
   * personas, or a Mindstage export. Each item is written whole or not at all; importing twice adds nothing.
   * `characterId` attaches lone chats to that character. Progress arrives as `import.progress` events.
   */
  'import.files': {
    input: z.object({ files: z.array(ImportFile).min(1).max(100_000), characterId: RecordId.optional() }),
    output: returns<ImportReport>(),
  },
  /** One conversation as a SillyTavern `.jsonl` chat, Markdown or plain text. */
  'conversation.exportAs': {
    input: z.object({ id: RecordId, format: z.enum(exportFormats) }),
    output: returns<{ fileName: string; mime: string; text: string }>(),
  },
} satisfies CommandDefs;
