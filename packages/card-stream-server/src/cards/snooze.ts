// When a snooze ends, from `{ until }` or `{ interval }` (Cards API and SDK actions alike).
import type { SnoozeBody } from '../../../protocol/src/cards.js';
import { parseDuration, parseInstant, withinReach } from '../time.js';
import { InvalidInput } from '../errors.js';

export function snoozeUntil(body: Partial<SnoozeBody> | undefined): number {
  const b = body as { until?: string; interval?: string } | undefined;
  const now = Date.now();
  if (b?.until !== undefined) {
    const until = parseInstant(b.until);
    if (until === undefined) throw new InvalidInput('invalid_time', `until "${b.until}" is not an ISO 8601 time with Z or an offset.`, 'until');
    if (until <= now) throw new InvalidInput('invalid_time', 'until must be in the future.', 'until');
    if (!withinReach(until, now)) throw new InvalidInput('invalid_time', 'until is more than 100 years ahead.', 'until');
    return until;
  }
  if (b?.interval !== undefined) {
    const ms = parseDuration(b.interval);
    if (!ms) {
      throw new InvalidInput('invalid_duration', `interval "${b.interval}" is not an ISO 8601 duration such as PT1H, of at most 100 years.`, 'interval');
    }
    return now + ms;
  }
  throw new InvalidInput('invalid_request', 'Snooze needs a body: { "until": time } or { "interval": duration }.');
}
