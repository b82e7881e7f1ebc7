/**
 * Where the running core's CLI door is (door.node.ts): `mindstage.door` in the data folder, mode 0600, holding the
 * process id, the loopback port and the door's secret. Apart from the door so every CLI call can look for it
 * without loading the WebSocket code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../store/folder-lock.node.ts';

export const DOOR_FILE = 'mindstage.door';
export const DOOR_PATH = '/cli';

export interface DoorInfo {
  pid: number;
  port: number;
  token: string;
}

/** The door of a data folder whose process is alive, if there is one. */
export function readDoor(dataDir: string): DoorInfo | null {
  let j: Partial<DoorInfo>;
  try {
    j = JSON.parse(readFileSync(join(dataDir, DOOR_FILE), 'utf8')) as Partial<DoorInfo>;
  } catch {
    return null;
  }
  if (!Number.isInteger(j.pid) || !Number.isInteger(j.port) || typeof j.token !== 'string') return null;
  // Left by a process that died (a crash, SIGKILL): nobody answers there.
  if (!processAlive(j.pid!)) return null;
  return { pid: j.pid!, port: j.port!, token: j.token };
}
