/**
 * `mindstage web [--port P] [--data DIR]` and the browser-mode half of `npm start`: opens the core on the data
 * folder, serves the renderer on 127.0.0.1 and prints the one URL (with its token) that can use it. Runs until
 * interrupted; Ctrl-C locks and closes the vault cleanly.
 */
import { parseArgs } from 'node:util';
import { MindstageError } from '../../../shared/result.std.ts';
import { openCore } from '../core.node.ts';
import { defaultDataDir } from '../paths.node.ts';
import { parsePort } from './port.node.ts';
import { ensureRendererBuilt } from './renderer-build.node.ts';
import { startWebServer } from './server.node.ts';
import { openDoor } from './door.node.ts';

export interface WebArgs {
  /** 0 or absent: a free port. */
  port?: number | string;
  /** The data folder (default: MINDSTAGE_DATA or the desktop app's). */
  dataDir?: string;
  /** A built renderer to serve instead of building dist/renderer on demand. */
  rendererDir?: string;
  /** Whether Ctrl-C / SIGTERM shut it down (default true; tests turn it off). */
  handleSignals?: boolean;
}

export interface RunningWeb {
  url: string;
  close(): Promise<void>;
  /** Resolves once the server and core are closed (by close() or a signal): a CLI awaits it before exiting. */
  closed: Promise<void>;
}

/** Reads `[--port P] [--data DIR]` from an argument list (for scripts that are not the commander CLI). */
export function parseWebArgs(argv: string[]): WebArgs {
  try {
    const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, data: { type: 'string' } }, strict: true, allowPositionals: false });
    return { port: parsePort(values.port), dataDir: values.data };
  } catch (e) {
    if (e instanceof MindstageError) throw e;
    throw new MindstageError('usage', `${(e as Error).message} (usage: mindstage web [--port P] [--data DIR])`);
  }
}

export async function runWeb(args: WebArgs = {}, print: (line: string) => void = (line) => console.log(line)): Promise<RunningWeb> {
  const port = parsePort(args.port);
  const dataDir = args.dataDir ?? defaultDataDir();
  const rendererDir = args.rendererDir ?? (await ensureRendererBuilt({ log: print }));
  const core = await openCore({ dataDir });
  let server;
  try {
    server = await startWebServer({ core, port, rendererDir, onRefused: (r) => console.error(`[mindstage web] refused a request: ${r.reason}`) });
  } catch (e) {
    await core.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new MindstageError('usage', `Port ${port} is already in use; choose another with --port, or leave it out.`);
    throw e;
  }
  // The CLI's way in while this process holds the folder (door.node.ts). Without it the CLI says the folder is busy.
  const door = await openDoor(core, dataDir, { onRefused: (r) => console.error(`[mindstage web] refused a CLI connection: ${r.reason}`) }).catch(() => null);
  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = () =>
    (closing ??= (async () => {
      await door?.close();
      await server.close();
      await core.close();
      markClosed();
    })());

  print('Mindstage is running in browser mode. Open this address in your browser:');
  print(`  ${server.url}`);
  print('The address opens Mindstage once, in one tab (reloading that tab keeps working); do not share it. Restart to get a new one. Press Ctrl-C to stop (the vault locks).');

  if (args.handleSignals !== false) {
    const stop = () => void close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return { url: server.url, close, closed };
}
