/**
 * Maps request paths to files of the built renderer, for browser mode's HTTP server and the Electron window's
 * app:// protocol alike. Only plain paths inside the folder: no traversal, no dot-files, no encoded tricks.
 */
import { resolve, sep } from 'node:path';

export const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Maps a URL path to a file inside rendererDir, or null (outside it, hidden, or not a plain path). */
export function staticFile(rendererDir: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const root = resolve(rendererDir);
  const file = resolve(root, `.${path}`);
  if (!file.startsWith(root + sep)) return null;
  if (file.slice(root.length).split(sep).some((part) => part.startsWith('.'))) return null;
  return file;
}
