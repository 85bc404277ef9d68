// When something an end user did happened: the SDK's own time (a click while offline is
// uploaded or sent later), kept within the life of the user's token. Earlier than the
// token's issue (`iat`; without one, the longest a token lives) counts as that, later than
// now as now, so analytics stay true after a day offline and a forged time cannot reach
// 1970 or 9999.
import { END_USER_MAX_SECONDS } from '../../../protocol/src/auth.js';
import type { EndUser } from '../auth/tokens.js';
import { parseInstant } from '../time.js';

export function eventTime(sdkTime: string | undefined, user: EndUser, now = Date.now()): number {
  const at = sdkTime === undefined ? undefined : parseInstant(sdkTime);
  if (at === undefined) return now;
  const earliest = user.issuedAt ?? now - END_USER_MAX_SECONDS * 1000;
  return Math.min(now, Math.max(earliest, at));
}
