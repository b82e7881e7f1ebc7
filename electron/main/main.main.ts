/**
 * The Electron main process: thin wiring only. Security settings live in security.main.ts, the IPC checks in
 * ipc.main.ts, the page server in app-protocol.main.ts, and the core in its own utility process.
 */
import { app, BrowserWindow, ipcMain, powerMonitor, protocol, screen, session, shell } from 'electron';
import { join } from 'node:path';
import { appDataDir, defaultDataDir } from '../core/paths.node.ts';
import { apiEventNames } from '../../shared/transport/protocol.std.ts';
import { createAppProtocolHandler } from './app-protocol.main.ts';
import { startCoreProcess, type CoreProcess } from './core-process.main.ts';
import { createInvokeHandler, forwardEvents, INVOKE_CHANNEL } from './ipc.main.ts';
import {
  APP_ENTRY,
  APP_PARTITION,
  APP_SCHEME,
  applySessionPolicy,
  hardenWebContents,
  privilegedSchemes,
  windowOptions,
  type HardenableContents,
} from './security.main.ts';
import { loadWindowState, saveWindowState } from './window-state.main.ts';

const here = import.meta.dirname;
const log = (line: string) => console.error(`[mindstage] ${line}`);

// Before `ready`: the scheme's privileges, sandboxing for every renderer, and one userData folder shared with the
// CLI's default data folder (electron/core/paths.node.ts).
protocol.registerSchemesAsPrivileged(privilegedSchemes);
app.enableSandbox();
app.setName('Mindstage');
app.setPath('userData', appDataDir());

if (!app.requestSingleInstanceLock()) {
  // One vault, one writer: a second launch hands over to the first window.
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) =>
    hardenWebContents(contents as unknown as HardenableContents, (url) => void shell.openExternal(url).catch(() => log('could not open a link'))),
  );
  app.whenReady().then(start, (e: unknown) => log(`start-up failed: ${(e as Error)?.name}`));
}

let window: BrowserWindow | null = null;

function createWindow(core: CoreProcess): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const state = loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow(windowOptions(join(here, '../preload/preload.preload.cjs'), state.bounds, { devTools: !app.isPackaged }));
  if (state.maximized) win.maximize();
  const stopEvents = forwardEvents(core.client, win.webContents, apiEventNames);
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    try {
      saveWindowState(stateFile, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
    } catch {
      log('could not save the window state');
    }
  });
  win.on('closed', () => {
    stopEvents();
    window = null;
  });
  void win.loadURL(APP_ENTRY);
  return win;
}

async function start(): Promise<void> {
  const windowSession = session.fromPartition(APP_PARTITION);
  applySessionPolicy(windowSession);
  applySessionPolicy(session.defaultSession);
  windowSession.protocol.handle(APP_SCHEME, createAppProtocolHandler(join(app.getAppPath(), 'dist', 'renderer')));

  const core = startCoreProcess(join(here, 'core-host.main.js'), defaultDataDir());
  ipcMain.handle(INVOKE_CHANNEL, createInvokeHandler(core.client, log));
  void core.exited.then((code) => {
    if (code !== 0) log(`the core process exited with code ${code}`);
  });

  // Sleep and the OS lock screen lock the vault: keys leave memory before anyone else can reach the machine.
  const lock = () => void core.client.invoke('vault.lock', {});
  powerMonitor.on('suspend', lock);
  powerMonitor.on('lock-screen', lock);

  window = createWindow(core);
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  // Closing the window ends the app on every platform: a vault left unlocked in a dock icon helps nobody.
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    lock();
    core.stop();
  });
}
