// A fixed-window limit per key (an address, a user, an address and channel), kept in this
// process: enough to stop one caller hammering an endpoint; each server counts its own.
import { LimitReached } from '../errors.js';

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** The error code of the 429. */
    private readonly code = 'rate_limited',
  ) {}

  /** Counts `cost` for `key`; throws 429 with Retry-After (counting nothing) past the limit. */
  take(key: string, now = Date.now(), cost = 1): void {
    const window = this.current(key, now);
    if (window.count + cost > this.limit) throw this.refusal(window, now);
    window.count += cost;
  }

  /** Throws 429 when `key` has used up its window, without counting anything. */
  check(key: string, now = Date.now()): void {
    const window = this.current(key, now);
    if (window.count >= this.limit) throw this.refusal(window, now);
  }

  private current(key: string, now: number): Window {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private refusal(window: Window, now: number): LimitReached {
    const retry = Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    return new LimitReached(this.code, `Too many requests; try again in ${retry} s.`, retry);
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
