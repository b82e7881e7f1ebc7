/**
 * Browser mode serves the vite build of the renderer (dist/renderer). From a source checkout it is built on
 * demand: when it is missing, or older than any renderer source, so `npm start` never serves a stale UI.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '../../..');
export const defaultRendererDir = join(repoRoot, 'dist', 'renderer');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Whether dist/renderer is missing or older than the renderer sources, shared/ (it imports the API) or the config. */
export function rendererIsStale(root = repoRoot, outDir = join(root, 'dist', 'renderer')): boolean {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [join(root, 'renderer'), join(root, 'shared'), join(root, 'vite.config.ts')].filter((p) => existsSync(p));
  return sources.some((p) => newestMtime(p) > built);
}

/** Builds the renderer with the project's vite config if needed; returns the folder to serve. */
export async function ensureRendererBuilt(options: { root?: string; log?: (line: string) => void } = {}): Promise<string> {
  const root = options.root ?? repoRoot;
  const outDir = join(root, 'dist', 'renderer');
  if (!rendererIsStale(root, outDir)) return outDir;
  options.log?.('Building the user interface (vite build)…');
  // vite is a development dependency: loaded only here, so the core never needs it otherwise.
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), root: join(root, 'renderer'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}
