// When something an end user did happened: the SDK's own time (a click while offline is
// uploaded or sent later), kept within the longest an outbox may hold it. An SDK keeps its
// outbox across reloads, and a reload fetches a fresh token, so the token's own issue time
// is no bound: a click made offline before the reload is older than the token that carries
// it. Earlier than the longest a token lives (7 days) counts as that, later than now as
// now, so analytics stay true after a day offline and a forged time cannot reach 1970 or
// 9999.
import { END_USER_MAX_SECONDS } from '../../../protocol/src/auth.js';
import { parseInstant } from '../time.js';

export const OFFLINE_WINDOW_MS = END_USER_MAX_SECONDS * 1000;

export function eventTime(sdkTime: string | undefined, now = Date.now()): number {
  const at = sdkTime === undefined ? undefined : parseInstant(sdkTime);
  if (at === undefined) return now;
  return Math.min(now, Math.max(now - OFFLINE_WINDOW_MS, at));
}
