/** Exponential backoff with full jitter: attempt n waits a uniform random time in [0, min(max, base·2ⁿ)). */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 60_000 };

export function backoffDelay(attempt: number, o: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt, 30));
  // Never zero: a relay that is down should not see a client spin.
  return Math.max(Math.min(50, ceiling), Math.floor(random() * ceiling));
}
