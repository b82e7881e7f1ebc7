/**
 * The CLI's way to a data folder another Mindstage process holds (the app, browser mode): its core, through the
 * door it opened (web/door.node.ts), over the browser-mode wire protocol. Loaded only when the folder is busy.
 */
import WebSocket from 'ws';
import { MindstageError } from '../../../shared/result.std.ts';
import { createWsClient } from '../../../shared/transport/client.std.ts';
import type { Core } from '../core.node.ts';
import { DOOR_PATH, readDoor } from '../web/door-file.node.ts';

/** How long the CLI waits for the running core to answer the door. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A Core whose calls go to the process holding `dataDir`, or null when no live process offers a door (none runs,
 * an older version, or the door file is gone). Throws `busy` when the door is there but refuses or does not answer.
 */
export async function connectToRunningCore(dataDir: string): Promise<Core | null> {
  const door = readDoor(dataDir);
  if (!door) return null;
  const client = createWsClient(`ws://127.0.0.1:${door.port}${DOOR_PATH}`, {
    token: door.token,
    WebSocket: WebSocket as unknown as NonNullable<Parameters<typeof createWsClient>[1]['WebSocket']>,
  });
  // The first call tells whether the door lets us in.
  const first = await Promise.race([
    client.invoke('vault.status', {}),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), CONNECT_TIMEOUT_MS).unref()),
  ]);
  if (!first || (!first.ok && first.error.code === 'network')) {
    client.close();
    throw new MindstageError('busy', `The data folder ${dataDir} is in use by another Mindstage (process ${door.pid}), which did not let this command in. Close it, or use another --data folder.`);
  }
  return { invoke: client.invoke, on: client.on, close: async () => client.close() };
}
