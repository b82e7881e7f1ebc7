/**
 * Vitest global setup (vitest.config.ts): an empty folder for this run's one shared renderer build
 * (tests/e2e/support/renderer-build.node.ts builds into it on first use, so a run without browser tests builds
 * nothing). Handed to the test workers in the environment, which they inherit; removed when the run ends.
 */
import { rmSync } from 'node:fs';
import { tempDir } from './files.node.ts';

export const RENDERER_CACHE_ENV = 'MINDSTAGE_TEST_RENDERER_CACHE';

export default function setup(): () => void {
  const dir = tempDir('renderer-cache');
  process.env[RENDERER_CACHE_ENV] = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env[RENDERER_CACHE_ENV];
  };
}
