/**
 * `npm start`: the desktop app where Electron is installed, browser mode where it is not (and it says so).
 * Runs on Node 24 directly (type stripping), so it works right after `npm install`.
 *
 *   npm start                       Electron, or browser mode on a free port
 *   npm start -- --port 8123 --data ~/vault    browser-mode options (see `mindstage web`)
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findElectronBinary } from '../electron/main/locate.node.ts';
import { ensureRendererBuilt, repoRoot } from '../electron/core/web/renderer-build.node.ts';
import { parseWebArgs, runWeb } from '../electron/core/web/run.node.ts';
import { MindstageError } from '../shared/result.std.ts';

async function startElectron(binary: string): Promise<void> {
  await ensureRendererBuilt({ log: (line) => console.log(line) });
  console.log('Compiling the main process (tsc -p tsconfig.electron.json)…');
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'tsconfig.electron.json')], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error('The Electron main process did not compile; see the errors above.');
  const child = spawn(binary, [repoRoot], { stdio: 'inherit', cwd: repoRoot });
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function main(argv: string[]): Promise<void> {
  const electron = findElectronBinary();
  if (electron.found) return startElectron(electron.path);
  console.log(`Electron is not installed here; starting browser mode (${electron.reason}).`);
  await runWeb({ ...parseWebArgs(argv), rendererDir: process.env['MINDSTAGE_RENDERER_DIR'] || undefined });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof MindstageError ? `mindstage: ${e.message}` : `mindstage: could not start (${(e as Error)?.message ?? String(e)})`);
  process.exit(e instanceof MindstageError && e.code === 'usage' ? 2 : 1);
});
