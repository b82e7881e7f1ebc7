/**
 * Builds the renderer with the project's vite.config.ts into a fresh temp folder, once per test file, so test
 * files running in parallel never race on one dist/ folder and always test the current sources.
 */
import { join } from 'node:path';
import { build, type InlineConfig } from 'vite';
import { tempDir } from '../../support/files.node.ts';

const repo = join(import.meta.dirname, '../../..');

export async function buildRenderer(extra: Pick<InlineConfig, 'resolve'> = {}): Promise<string> {
  const outDir = join(tempDir('e2e-renderer'), 'renderer');
  await build({
    configFile: join(repo, 'vite.config.ts'),
    root: join(repo, 'renderer'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
    ...extra,
  });
  return outDir;
}
