/**
 * Which files of a SillyTavern user folder an import reads, by their path. The CLI and the renderer both filter
 * with this, so neither reads (or uploads) thumbnails, backgrounds, themes or extensions for nothing.
 * Folder names are SillyTavern's own (src/constants.js `USER_DIRECTORY_TEMPLATE`).
 */
export const stFolders = {
  characters: 'characters',
  chats: 'chats',
  groups: 'groups',
  groupChats: 'group chats',
  worlds: 'worlds',
  openAI: 'OpenAI Settings',
  textGen: 'TextGen Settings',
  avatars: 'User Avatars',
  instruct: 'instruct',
  context: 'context',
} as const;

const wanted = new Set<string>(Object.values(stFolders));
const importable = /\.(jsonl|json|png|charx)$/i;

/** The role a folder plays, from the nearest folder name SillyTavern gives meaning to. */
export function stFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  // chats/<character>/<file>.jsonl: the role sits two levels up.
  if (parts.length >= 3 && parts[parts.length - 3] === stFolders.chats) return stFolders.chats;
  const parent = parts[parts.length - 2];
  return parent !== undefined && wanted.has(parent) ? parent : undefined;
}

/** True for files an import should read: everything in SillyTavern's data folders, settings.json, lone files. */
export function isImportCandidate(path: string): boolean {
  const name = path.split('/').pop() ?? '';
  if (stFolderOf(path) !== undefined) return true;
  if (name === 'settings.json') return true;
  const parts = path.split('/');
  // A file outside SillyTavern's known folders counts only when it sits at the top of what was chosen.
  return parts.length <= 2 && importable.test(name);
}
