/** SillyTavern fixtures for tests: the files of tests/fixtures/sillytavern/ laid out as a user folder. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './files.node.ts';

const fixtures = join(import.meta.dirname, '../fixtures/sillytavern/default-user');
const cards = join(import.meta.dirname, '../../../shared/fixtures/cards');
export const soloChatPath = join(fixtures, 'chats/Seraphina/Seraphina - 2024-9-28 @01h 02m 36s 123ms.jsonl');
export const groupChatPath = join(fixtures, 'group chats/1727474556789.jsonl');

/** A SillyTavern user folder: the text fixtures plus two real cards and a persona avatar. */
export function stUserFolder(): string {
  const dir = join(tempDir('st-folder'), 'default-user');
  cpSync(fixtures, dir, { recursive: true });
  mkdirSync(join(dir, 'characters'));
  mkdirSync(join(dir, 'User Avatars'));
  cpSync(join(cards, 'v2-hybrid-seraphina.png'), join(dir, 'characters/Seraphina.png'));
  cpSync(join(cards, 'v3-ccv3-only-default-chan.png'), join(dir, 'characters/Default-chan.png'));
  cpSync(join(cards, 'invalid-no-card-chunk.png'), join(dir, 'User Avatars/user-default.png'));
  // Folders an import must not read at all.
  mkdirSync(join(dir, 'thumbnails/avatar'), { recursive: true });
  writeFileSync(join(dir, 'thumbnails/avatar/Seraphina.png'), 'not read');
  return dir;
}

