/**
 * Where the desktop app keeps its vault. The CLI's default `--data` is the same folder, so both see one vault.
 * It sits inside the app's userData folder (Electron's app.getPath('userData') for an app named "Mindstage"), in a
 * sub-folder of its own, apart from Chromium's files.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Mindstage');
  if (platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Mindstage');
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'Mindstage');
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['MINDSTAGE_DATA'] || join(appDataDir(env), 'vault');
}
