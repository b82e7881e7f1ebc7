/**
 * What the CLI (and tests) hand to `import.files`: one file, or every file of a folder that an import reads
 * (shared/import-paths.std.ts), with paths relative to the folder's parent. Files that cannot be read are
 * reported, not fatal: the rest is imported.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { isImportCandidate } from '../../../shared/import-paths.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';

export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

/** Reads a file, or a folder's importable files with paths relative to its parent; unreadable ones are reported. */
export function readImportPath(path: string): { files: { path: string; bytesBase64: string }[]; skipped: { path: string; reason: string }[] } {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new MindstageError('not_found', `Cannot read ${path}.`);
  }
  const files: { path: string; bytesBase64: string }[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const read = (full: string, rel: string) => {
    try {
      if (statSync(full).size > MAX_IMPORT_BYTES) return skipped.push({ path: rel, reason: 'it is too large to import (over 512 MB).' });
      files.push({ path: rel, bytesBase64: readFileSync(full).toString('base64') });
    } catch {
      skipped.push({ path: rel, reason: 'it cannot be read (check its permissions).' });
    }
    return undefined;
  };
  if (stat.isFile()) {
    if (stat.size > MAX_IMPORT_BYTES) throw new MindstageError('usage', `${path} is too large to import.`);
    read(path, basename(path));
    if (skipped.length > 0) throw new MindstageError('not_found', `Cannot read ${path}.`);
    return { files, skipped };
  }
  const root = basename(resolve(path));
  const entries = readdirSync(path, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    // Symbolic links count: a dangling one is reported as unreadable rather than silently passed over.
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const full = join(e.parentPath, e.name);
    const rel = [root, ...relative(path, full).split(sep)].join('/');
    if (isImportCandidate(rel)) read(full, rel);
  }
  return { files, skipped };
}

