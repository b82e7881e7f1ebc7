/** `--port` for `mindstage web` and `mindstage relay`; its own file so the relay command does not load the core. */
import { MindstageError } from '../../../shared/result.std.ts';

export function parsePort(value: number | string | undefined): number {
  if (value === undefined || value === '') return 0;
  const port = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MindstageError('usage', `--port must be a number from 0 to 65535, not "${String(value)}".`);
  return port;
}
