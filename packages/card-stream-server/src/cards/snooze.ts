// When a snooze ends, from `{ until }` or `{ interval }` (Cards API and SDK actions alike).

import { parseDuration, parseInstant } from '../time.js';
import { InvalidInput } from '../errors.js';

export function snoozeUntil(body: unknown): number {
  const b = body as { until?: string; interval?: string } | undefined;
  const now = Date.now();
  if (b?.until !== undefined) {
    const until = parseInstant(b.until);
    if (until === undefined) throw new InvalidInput('invalid_time', `until "${b.until}" is not an ISO 8601 time with Z or an offset.`);
    if (until <= now) throw new InvalidInput('invalid_time', 'until must be in the future.');
    return until;
  }
  if (b?.interval !== undefined) {
    const ms = parseDuration(b.interval);
    if (!ms) throw new InvalidInput('invalid_duration', `interval "${b.interval}" is not an ISO 8601 duration such as PT1H.`);
    return now + ms;
  }
  throw new InvalidInput('invalid_request', 'Snooze needs a body: { "until": time } or { "interval": duration }.');
}
