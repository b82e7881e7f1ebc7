/**
 * Builds the renderer with the project's vite.config.ts for the browser-mode tests, always from the current
 * sources, never into the project's dist/ (test files run in parallel and must not race on one folder).
 *
 * Within a vitest run the build is made once and shared: tests/support/renderer-cache.node.ts (vitest's global
 * setup) names an empty folder for the run, the first test file that needs the renderer builds into it while the
 * others wait, and every later file serves the same read-only folder. Before, each startBrowserMode built its own
 * (~30 builds per `npm test`, 2–5 s each). If the sources change during the run (watch mode), the next caller sees
 * the build is older than them and makes a new one beside it. Outside vitest (the UI bench) it builds fresh.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type InlineConfig } from 'vite';
import { rendererIsStale } from '../../../electron/core/web/renderer-build.node.ts';
import { RENDERER_CACHE_ENV } from '../../support/renderer-cache.node.ts';
import { tempDir } from '../../support/files.node.ts';
import { processAlive as alive } from '../../../electron/core/store/folder-lock.node.ts';

const repo = join(import.meta.dirname, '../../..');

async function buildInto(outDir: string, extra: Pick<InlineConfig, 'resolve'> = {}): Promise<void> {
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
}

/** A build lock whose holder died (its worker crashed mid-build) is taken over. */
function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    // Read while the holder writes it (empty), it names no process yet: judged below, as a missing one is. Taken as
    // pid 0, "not alive", the lock was broken under a live build and two builds shared one folder.
    if (!(pid > 0)) throw new Error('no pid yet');
    return !alive(pid);
  } catch {
    // The holder writes its pid right after taking the lock: missing for long means it died in between.
    try {
      return Date.now() - statSync(lock).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
}

/** The run's shared build: generation 0, 1, … — a new one only when the sources changed after the last. */
async function sharedBuild(cache: string): Promise<string> {
  for (let generation = 0; ; generation++) {
    const dir = join(cache, String(generation));
    const outDir = join(dir, 'renderer');
    const done = join(dir, 'done');
    const lock = join(dir, 'building');
    for (;;) {
      if (existsSync(done)) break;
      mkdirSync(dir, { recursive: true });
      try {
        mkdirSync(lock);
      } catch {
        if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
        else await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        writeFileSync(join(lock, 'pid'), String(process.pid));
        await buildInto(outDir);
        writeFileSync(done, '');
      } finally {
        // A failed build leaves no `done`: the next caller tries again and reports its own error.
        rmSync(lock, { recursive: true, force: true });
      }
    }
    if (!rendererIsStale(repo, outDir)) return outDir;
  }
}

export async function buildRenderer(extra: Pick<InlineConfig, 'resolve'> = {}): Promise<string> {
  const cache = process.env[RENDERER_CACHE_ENV];
  if (cache && Object.keys(extra).length === 0) return sharedBuild(cache);
  const outDir = join(tempDir('e2e-renderer'), 'renderer');
  await buildInto(outDir, extra);
  return outDir;
}
