/**
 * Events the core pushes to its clients (the renderer or the CLI) over the same transport as commands.
 * Each domain adds its events here.
 */
export interface ApiEvents {
  /** The vault was locked (by hand, idle timer, sleep, or wipe); clients drop any plaintext they hold. */
  'vault.locked': { reason: 'manual' | 'idle' | 'sleep' | 'wipe' };
  /** A record changed (locally or from sync); clients refetch what they show. */
  'records.changed': { ids: string[] };
}
export type ApiEventName = keyof ApiEvents;
