// A fixed-window limit per key (e.g. address + channel), kept in this process: enough to
// stop one page hammering a public endpoint; each server counts its own requests.
import { LimitReached } from '../errors.js';

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request for `key`; throws 429 with Retry-After beyond the limit. */
  take(key: string, now = Date.now()): void {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (++window.count > this.limit) {
      const retry = Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
      throw new LimitReached('rate_limited', `Too many requests; try again in ${retry} s.`, retry);
    }
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
