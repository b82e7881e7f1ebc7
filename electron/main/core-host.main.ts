/**
 * Entry of the core's utility process: Argon2id, bulk decryption, SQLite and provider streaming all run here, off
 * the main process and far from the renderer. It speaks the same wire protocol as browser mode
 * (shared/transport) over its parent port; the main process is its only peer.
 *
 * Started by core-process.main.ts as `core-host.main.js --data <dir>`.
 */
import type { ParentPort } from 'electron';
import { openCore } from '../core/core.node.ts';
import { serveCore, type Served } from '../../shared/transport/serve.std.ts';
import { openDoor, type Door } from '../core/web/door.node.ts';

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

export function dataDirFromArgs(argv: readonly string[]): string {
  const i = argv.indexOf('--data');
  const dir = i >= 0 ? argv[i + 1] : undefined;
  if (!dir) throw new Error('core host: --data <dir> is required');
  return dir;
}

async function main(port: ParentPort): Promise<void> {
  // Requests that arrive while the core opens wait here, in order.
  const early: unknown[] = [];
  let served: Served | null = null;
  port.on('message', (message) => {
    if (served) void served.receive(typeof message.data === 'string' ? message.data : '');
    else early.push(message.data);
  });
  const dataDir = dataDirFromArgs(process.argv);
  const core = await openCore({ dataDir });
  served = serveCore(core, (text) => port.postMessage(text));
  for (const data of early.splice(0)) void served.receive(typeof data === 'string' ? data : '');
  // The CLI talks to this core while the app holds the folder (core/web/door.node.ts); without a door it says busy.
  const door: Door | null = await openDoor(core, dataDir).catch(() => null);

  // The main process kills us on quit (SIGTERM on POSIX): close the store cleanly first.
  const stop = () => {
    served?.close();
    void Promise.resolve(door?.close())
      .then(() => core.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (parentPort) {
  main(parentPort).catch((e: unknown) => {
    // The kind only: a message could carry a path or content.
    console.error(`[mindstage core] failed to start: ${(e as Error)?.name ?? typeof e}`);
    process.exit(1);
  });
}
