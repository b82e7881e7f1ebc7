/**
 * The relay's limits (design §4: "limits everywhere"), with defaults safe for a relay on the public internet, and
 * the small pieces that enforce them: a token bucket, and the per-address book that outlives connections (so an
 * attacker cannot reset a limit by reconnecting). Every check here is a map lookup or a counter: they run before
 * any decoding, hashing or signature work (docs/sync-protocol.md, "Limits").
 */

export interface RelayLimits {
  /** Largest frame accepted with a refusal frame; anything larger than twice this is cut off by the socket layer. */
  maxFrameBytes: number;
  maxHeaderBytes: number;
  /** Stored bytes per account (updates, snapshots, waiting pairing blobs). */
  maxBytesPerAccount: number;
  /** Stored bytes over all accounts; past it the relay refuses new data (and new accounts) with `quota`. */
  maxBytesTotal: number;
  /** Authenticated connections per account, per relay instance. */
  maxConnectionsPerAccount: number;
  /** Open TCP connections (HTTP or WebSocket, half-sent requests included) per remote address, per instance. */
  maxConnectionsPerAddress: number;
  /** Open TCP connections in total, per instance. */
  maxConnections: number;
  /** New accounts one remote address may create per hour (a token bucket: this many at once, refilled hourly). */
  newAccountsPerAddressPerHour: number;
  /**
   * Optional enrolment gate for public relays: when non-empty, creating a new account needs one of these invite
   * tokens (given to the client in the relay URL's `invite` query parameter). Enrolling more devices into an
   * existing account never needs one.
   */
  inviteTokens: string[];
  /**
   * Resident memory the relay aims to stay under. Past 85% of it, new connections are refused (`too_many_connections`,
   * "busy") until memory falls again; existing devices keep syncing.
   */
  memoryBudgetBytes: number;
  /** Token bucket per device: burst size and sustained requests per second. */
  deviceBurst: number;
  deviceRatePerSecond: number;
  /**
   * Frame bytes per remote address from authenticated connections, per second (burst: `addressBytesBurst`). Past
   * it the address's connections stop being read for a while (TCP backpressure) and frames are refused unread.
   * A bad item signature costs `badSignaturePenalty` times the frame's size, so forged maximum-size frames
   * stall their sender long before they cost the relay measurable hashing time.
   */
  addressBytesPerSecond: number;
  addressBytesBurst: number;
  badSignaturePenalty: number;
  /** Largest frame read before authenticating: hello, auth, enroll, wipe and pairing take are all small. */
  anonymousMaxFrameBytes: number;
  /** Token bucket per remote address for everything done before authenticating (hello, enroll, pairing take…). */
  anonymousBurst: number;
  anonymousRatePerSecond: number;
  /** HTTP: the request line and headers must arrive within this (half-sent requests are closed). */
  headersTimeoutMs: number;
  /** A connection that has not authenticated (or done its one anonymous job) by then is closed. */
  authTimeoutMs: number;
  /** An authenticated connection that sends nothing for this long is closed (clients reconnect when they need to). */
  idleTimeoutMs: number;
  pullMaxItems: number;
  pullMaxBytes: number;
  /** Accounts with no activity for this long are deleted by the retention sweep. */
  retentionMs: number;
  sweepIntervalMs: number;
  /** Heartbeat: a socket that misses a ping for this long is terminated. */
  pingIntervalMs: number;
  // ---- the public gallery (plain HTTP; sync-server/gallery.node.ts) ----
  /** Largest card PNG one may publish. */
  galleryMaxCardBytes: number;
  galleryMaxEntriesPerPublisher: number;
  /** Card bytes over the whole gallery; past it publishing is refused with `full`. */
  galleryMaxBytesTotal: number;
  /** Token bucket per remote address for gallery reads (listings and cards). */
  galleryReadBurst: number;
  galleryReadRatePerSecond: number;
  /** Token bucket per remote address for publish and unpublish, refilled over an hour. */
  galleryWritesPerAddressPerHour: number;
  /** How far a publish or unpublish may be signed from the relay's clock (and how long removals are remembered, twice that). */
  gallerySkewMs: number;
}

const DAY = 24 * 3600_000;
const MiB = 1024 * 1024;

export const defaultLimits: RelayLimits = {
  maxFrameBytes: 16 * MiB,
  maxHeaderBytes: 2 * MiB,
  maxBytesPerAccount: 2 * 1024 * MiB,
  maxBytesTotal: 100 * 1024 * MiB,
  maxConnectionsPerAccount: 16,
  maxConnectionsPerAddress: 32,
  maxConnections: 10_000,
  newAccountsPerAddressPerHour: 5,
  inviteTokens: [],
  memoryBudgetBytes: 1024 * MiB,
  deviceBurst: 2_000,
  deviceRatePerSecond: 200,
  addressBytesPerSecond: 16 * MiB,
  addressBytesBurst: 96 * MiB,
  badSignaturePenalty: 16,
  anonymousMaxFrameBytes: 64 * 1024,
  anonymousBurst: 20,
  anonymousRatePerSecond: 2,
  headersTimeoutMs: 5_000,
  authTimeoutMs: 10_000,
  idleTimeoutMs: 3600_000,
  pullMaxItems: 2_000,
  pullMaxBytes: 8 * MiB,
  retentionMs: 2 * 365 * DAY,
  sweepIntervalMs: 3600_000,
  pingIntervalMs: 30_000,
  galleryMaxCardBytes: 8 * MiB,
  galleryMaxEntriesPerPublisher: 200,
  galleryMaxBytesTotal: 20 * 1024 * MiB,
  galleryReadBurst: 120,
  galleryReadRatePerSecond: 20,
  galleryWritesPerAddressPerHour: 60,
  gallerySkewMs: 10 * 60_000,
};

/** Classic token bucket: `burst` tokens, refilled continuously at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perSecond: number;
  constructor(burst: number, perSecond: number, now: number) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
    this.last = now;
  }
  /** Takes one token; when none is left, returns how long until one is. */
  take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) };
  }
  /**
   * Spends `n` tokens even when that leaves a debt (a frame already read must be counted); returns how long until
   * the bucket is out of debt, 0 when it is not in debt.
   */
  spend(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
  /** How long until the bucket is out of debt (0 when it is not in debt); spends nothing. */
  debt(now: number): number {
    this.refill(now);
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
  /** True when the bucket is full again, so forgetting it loses nothing. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/** Something that can stop reading from its peer for a while (a session's socket). */
export interface Pausable {
  pauseFor(ms: number): void;
}

interface AddressEntry {
  connections: number;
  anonymous: TokenBucket;
  accounts: TokenBucket;
  bytes: TokenBucket;
  /** Until when the address pays for a forged frame (its debt came from a bad-signature penalty). */
  penaltyUntil: number;
  sessions: Set<Pausable>;
}

/**
 * What the relay remembers per remote address: open connections, the anonymous request bucket and the new-account
 * bucket. Entries outlive connections — that is the point — and are forgotten only once both buckets are full
 * again and no connection is open, so memory stays bounded by the addresses active recently.
 */
export class AddressBook {
  private readonly entries = new Map<string, AddressEntry>();
  private total = 0;
  private readonly limits: RelayLimits;
  private readonly now: () => number;
  constructor(limits: RelayLimits, now: () => number) {
    this.limits = limits;
    this.now = now;
  }

  private entry(address: string): AddressEntry {
    let e = this.entries.get(address);
    if (!e) {
      const l = this.limits;
      e = {
        connections: 0,
        anonymous: new TokenBucket(l.anonymousBurst, l.anonymousRatePerSecond, this.now()),
        accounts: new TokenBucket(l.newAccountsPerAddressPerHour, l.newAccountsPerAddressPerHour / 3600, this.now()),
        bytes: new TokenBucket(l.addressBytesBurst, l.addressBytesPerSecond, this.now()),
        penaltyUntil: 0,
        sessions: new Set(),
      };
      this.entries.set(address, e);
    }
    return e;
  }

  /** Admits a new TCP connection, or says which limit it hit. */
  open(address: string): 'ok' | 'address' | 'total' {
    if (this.total >= this.limits.maxConnections) return 'total';
    const e = this.entry(address);
    if (e.connections >= this.limits.maxConnectionsPerAddress) return 'address';
    e.connections++;
    this.total++;
    return 'ok';
  }

  closed(address: string): void {
    const e = this.entries.get(address);
    if (!e || e.connections === 0) return;
    e.connections--;
    this.total--;
  }

  anonymous(address: string): TokenBucket {
    return this.entry(address).anonymous;
  }

  /** Sessions of an address, so a spent byte budget pauses all of them at once (bounded memory). */
  attach(address: string, session: Pausable): void {
    this.entry(address).sessions.add(session);
  }
  detach(address: string, session: Pausable): void {
    this.entries.get(address)?.sessions.delete(session);
  }

  /**
   * Counts `bytes` read from an authenticated connection of this address. When the address is in debt, every one
   * of its connections stops being read until it is not, and the answer says how long that is (0: go ahead).
   */
  spend(address: string, bytes: number): number {
    const e = this.entry(address);
    const wait = e.bytes.spend(bytes, this.now());
    if (wait > 0) for (const s of e.sessions) s.pauseFor(wait);
    return wait;
  }

  /** Charges a bad signature: like `spend`, and remembered, so in-flight frames need not be hashed meanwhile. */
  penalize(address: string, bytes: number): void {
    const wait = this.spend(address, bytes);
    const e = this.entry(address);
    e.penaltyUntil = Math.max(e.penaltyUntil, this.now() + wait);
  }

  /** How long this address still pays for a forged frame (0: it is not paying for one). */
  penalty(address: string): number {
    const e = this.entries.get(address);
    return e ? Math.max(0, Math.min(e.penaltyUntil - this.now(), e.bytes.debt(this.now()))) : 0;
  }

  newAccount(address: string) {
    return this.entry(address).accounts.take(this.now());
  }

  get connections(): number {
    return this.total;
  }

  /** Forgets addresses with nothing left to remember (called from the heartbeat). */
  prune(): void {
    const t = this.now();
    for (const [address, e] of this.entries) if (e.connections === 0 && e.sessions.size === 0 && e.anonymous.full(t) && e.accounts.full(t) && e.bytes.full(t)) this.entries.delete(address);
  }
}
