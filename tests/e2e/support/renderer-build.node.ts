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
  // The build that ships: vite takes NODE_ENV from the environment when it is set, and vitest sets it to `test`,
  // which bundled React's development build (StrictMode then mounts every view twice, and warnings cost time).
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({
      configFile: join(repo, 'vite.config.ts'),
      root: join(repo, 'renderer'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
      ...extra,
    });
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
  return outDir;
}
