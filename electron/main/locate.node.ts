/**
 * Finds the Electron binary the `electron` npm package installed, without `require('electron')`: in this version
 * that call tries to download the binary when it is missing (a network request, and a long wait offline).
 * The logic mirrors node_modules/electron/index.js: path.txt names the executable inside dist/ (or inside
 * ELECTRON_OVERRIDE_DIST_PATH).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; reason: string };

export function findElectronBinary(env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  const path = override ? join(override, executable || 'electron') : executable ? join(packageDir, 'dist', executable) : '';
  if (path && existsSync(path)) return { found: true, path };
  return {
    found: false,
    reason: path
      ? `no Electron binary at ${path}`
      : 'the electron package has no binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD, or its download failed)',
  };
}
