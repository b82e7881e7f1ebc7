/** The relay's limits (design §4: "limits everywhere") and the token bucket that enforces request rates. */

export interface RelayLimits {
  /** Largest frame accepted with a refusal frame; anything larger than twice this is cut off by the socket layer. */
  maxFrameBytes: number;
  maxHeaderBytes: number;
  /** Stored bytes per account (updates, snapshots, waiting pairing blobs). */
  maxBytesPerAccount: number;
  /** Authenticated connections per account, per relay instance. */
  maxConnectionsPerAccount: number;
  /** Token bucket per device: burst size and sustained requests per second. */
  deviceBurst: number;
  deviceRatePerSecond: number;
  /** Token bucket per unauthenticated connection (hello, enroll, pairing take…). */
  anonymousBurst: number;
  anonymousRatePerSecond: number;
  /** A connection that has not authenticated (or done its one anonymous job) by then is closed. */
  authTimeoutMs: number;
  pullMaxItems: number;
  pullMaxBytes: number;
  /** Accounts with no activity for this long are deleted by the retention sweep. */
  retentionMs: number;
  sweepIntervalMs: number;
  /** Heartbeat: a socket that misses a ping for this long is terminated. */
  pingIntervalMs: number;
}

const DAY = 24 * 3600_000;

export const defaultLimits: RelayLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxHeaderBytes: 2 * 1024 * 1024,
  maxBytesPerAccount: 2 * 1024 * 1024 * 1024,
  maxConnectionsPerAccount: 16,
  deviceBurst: 2_000,
  deviceRatePerSecond: 200,
  anonymousBurst: 20,
  anonymousRatePerSecond: 2,
  authTimeoutMs: 15_000,
  pullMaxItems: 2_000,
  pullMaxBytes: 8 * 1024 * 1024,
  retentionMs: 2 * 365 * DAY,
  sweepIntervalMs: 3600_000,
  pingIntervalMs: 30_000,
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
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) };
  }
}
