// ISO 8601 instants and durations as CONTRACT §3 allows them, range-checked: nothing the
// platform stores lies more than MAX_AHEAD_MS ahead, so every stored time reads back.

// An instant must carry `Z` or an offset: a local time would mean different things on
// different servers.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** The furthest ahead a time may be set, and the longest duration: 100 years. */
export const MAX_AHEAD_MS = 100 * 365.25 * 24 * 3600_000;

/** Milliseconds since the epoch, or undefined when `text` is not an ISO 8601 instant with a zone. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT.test(text) || !isCalendarDate(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether the date part of an instant is a day of the calendar: Date.parse takes February 30 for March 2. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // Date.UTC would read years below 100 as 19xx
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Milliseconds in a `PnWnDTnHnMnS` duration, or undefined when it is not one, is empty, or
 * is longer than MAX_AHEAD_MS. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  const ms = ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (min ?? 0)) * 60_000 + (s ?? 0) * 1000;
  return Number.isFinite(ms) && ms <= MAX_AHEAD_MS ? Math.round(ms) : undefined;
}

/** Whether `ms` lies no further ahead of `now` than MAX_AHEAD_MS. */
export const withinReach = (ms: number, now = Date.now()): boolean => ms <= now + MAX_AHEAD_MS;

// JavaScript dates end at ±8.64e15 ms; a time beyond them is shown as that end rather than
// failing the whole answer it is part of.
const LAST_DATE_MS = 8.64e15;

export const iso = (ms: number): string =>
  new Date(Number.isFinite(ms) ? Math.max(-LAST_DATE_MS, Math.min(LAST_DATE_MS, ms)) : LAST_DATE_MS).toISOString();
export const isoOrUndefined = (ms: number | null | undefined): string | undefined =>
  ms === null || ms === undefined ? undefined : iso(ms);
