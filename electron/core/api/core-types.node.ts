/**
 * What every transport (direct calls, WebSocket for browser mode, Electron IPC) gets from the core.
 * `invoke` validates its input with the command's schema and never throws for expected failures:
 * it resolves to a Result. Events are pushed to every listener.
 */
import type { ApiEventName, ApiEvents, MindstageInvoke } from '../../../shared/api/index.std.ts';
import type { KekAhead } from '../vault/vault.node.ts';

export interface Core {
  invoke: MindstageInvoke;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  close(): Promise<void>;
}

export interface CoreOptions {
  /** The data folder holding the vault database. */
  dataDir: string;
  /** How often the idle-lock timer checks (tests shorten it). */
  idleCheckMs?: number;
  /** The passphrase's key derived ahead, for `vault.unlock` (the CLI's, cli/kek-ahead.node.ts). */
  kekAhead?: KekAhead;
  /**
   * The process ends once this core is closed (the CLI's commands): closing zeroes the keys as always but does not
   * run the lock's memory scrub (memory.node.ts), whose full collections would clear a heap the process is about
   * to hand back to the kernel. A lock while the core lives (`vault.lock`, the idle lock) still scrubs.
   */
  exitsAfterClose?: boolean;
}
