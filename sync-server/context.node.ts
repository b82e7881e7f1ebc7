/** What a connection needs from the relay around it (kept as an interface so session.node.ts stays testable). */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Admission } from './admission.node.ts';
import type { RelayIdentity } from './crypto.node.ts';
import type { AddressBook, RelayLimits, TokenBucket } from './limits.node.ts';
import type { Session } from './session.node.ts';
import type { RelayStorage } from './storage/types.node.ts';

export interface RelayContext {
  storage: RelayStorage;
  identity: RelayIdentity;
  limits: RelayLimits;
  log: Logger;
  now: () => number;
  /** Adds an authenticated session to its account; false when the account has too many connections already. */
  register: (session: Session) => boolean;
  unregister: (session: Session) => void;
  /** The rate limiter shared by every connection of one device. */
  deviceBucket: (accountId: Uint8Array, deviceId: Uint8Array) => TokenBucket;
  /** Per-address limits that outlive connections (connections, anonymous rate, new accounts, byte budget). */
  addresses: AddressBook;
  /** The cheap checks run before any signature work. */
  admission: Admission;
  /** Sets the largest frame the socket layer reads on a connection (twice the refusal limit `bytes`). */
  setFrameLimit: (ws: WebSocket, bytes: number) => void;
}
