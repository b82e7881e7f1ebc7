/**
 * The cheap checks a session runs before any signature work (docs/sync-protocol.md, "Limits"): may this address
 * create an account now (invite gate, new accounts per address per hour, relay full), and does a write fit the
 * account's and the relay's storage. Each is a counter or one indexed read; the session verifies signatures only
 * when these pass.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RelayErrorCode } from '../shared/sync/messages.std.ts';
import type { AddressBook, RelayLimits } from './limits.node.ts';
import type { RelayStorage } from './storage/types.node.ts';

export interface Peer {
  /** The unit per-address limits count (guard.node.ts addressKey). */
  address: string;
  /** The invite token from the WebSocket URL (`?invite=`), if any. */
  invite: string | null;
}

export interface Refused {
  code: RelayErrorCode;
  message: string;
  retryAfterMs?: number;
}

const tokenMatches = (given: string, tokens: string[]): boolean => {
  const g = Buffer.from(given);
  let ok = false;
  for (const t of tokens) {
    const b = Buffer.from(t);
    if (b.length === g.length && timingSafeEqual(b, g)) ok = true;
  }
  return ok;
};

export class Admission {
  private total = 0;
  private readonly limits: RelayLimits;
  private readonly storage: RelayStorage;
  private readonly addresses: AddressBook;
  constructor(limits: RelayLimits, storage: RelayStorage, addresses: AddressBook) {
    this.limits = limits;
    this.storage = storage;
    this.addresses = addresses;
  }

  /** Re-reads the relay's total stored bytes (at start and on the sweep timer; writes keep it current between). */
  async refresh(): Promise<void> {
    this.total = await this.storage.totalBytes();
  }

  /** Counts bytes stored or freed by a write that was accepted. */
  stored(delta: number): void {
    this.total = Math.max(0, this.total + delta);
  }

  /** Before verifying an enrollment: only the first one, which creates the account, passes the account gates. */
  async enroll(accountId: Uint8Array, peer: Peer): Promise<Refused | null> {
    if (await this.storage.account(accountId)) return null;
    if (this.limits.inviteTokens.length > 0 && !(peer.invite && tokenMatches(peer.invite, this.limits.inviteTokens))) {
      return { code: 'invite_required', message: 'This relay creates new accounts only with an invite; ask its operator for one and add it to the relay address.' };
    }
    if (this.total >= this.limits.maxBytesTotal) return { code: 'quota', message: 'This relay is full and accepts no new accounts.' };
    const t = this.addresses.newAccount(peer.address);
    if (!t.ok) return { code: 'rate_limited', message: 'Too many new accounts were created from your network address; try again later.', retryAfterMs: t.retryAfterMs };
    return null;
  }

  /** Before verifying an item: an update that cannot fit is refused unread (snapshots may free space; tombstones always pass). */
  async write(accountId: Uint8Array, kind: 'update' | 'snapshot' | 'tombstone', bytes: number): Promise<Refused | null> {
    if (kind === 'tombstone') return null;
    if (this.total + bytes > this.limits.maxBytesTotal) return { code: 'quota', message: 'This relay is full; it cannot store more for anyone right now.' };
    if (bytes > this.limits.maxBytesPerAccount) return { code: 'quota', message: 'The account has used all the storage this relay allows.' };
    if (kind === 'update') {
      const account = await this.storage.account(accountId);
      if (account && account.bytesUsed + bytes > this.limits.maxBytesPerAccount) return { code: 'quota', message: 'The account has used all the storage this relay allows.' };
    }
    return null;
  }
}
