/** How the Sync screen tells a sync problem: names, not ids. */
import type { SyncProblem } from '../../shared/api/sync.std.ts';

/**
 * A refused item told with the record's title and the device's name. The core's message (which the command line
 * prints) also names the record id, the device id and the relay's sequence number; none of those mean anything on
 * screen. Problems that are not refused items are shown as the core words them.
 */
export function problemText(p: SyncProblem, titles: ReadonlyMap<string, string>): string {
  if (!p.reason) return p.message;
  const title = p.recordId ? titles.get(p.recordId) : undefined;
  const what = title ? `a change to “${title}”` : 'a change';
  const from = p.deviceName ?? 'another device';
  return `Refused ${what} from ${from}: ${p.reason}. It was not applied; your data is unchanged.`;
}
