// Rows that stand for several events. A send records three events of each card it makes
// (action-flow-started, card-published or card-embargoed, action-flow-completed) that differ
// only in their names and ids, both of which are made from the card's (ids.ts). The three
// are one row with `span` 3, stored at the last of three seqs no other row has: the row at
// seq S stands for action-flow-started at S - 2, its own analytics_event at S - 1 and
// action-flow-completed at S. Two rows fewer per card: less for a send to write (on SQLite
// its card's three events were 81-102 µs of a one-card send's work here, the row 20-30 µs)
// and to store.
//
// SQLite's writer gives such a row its seq (analytics/event-store.ts, withSpanSeqs).
// PostgreSQL hands out seqs from a sequence that concurrent transactions share, so three
// consecutive ones cannot be taken there; instead every seq it hands out is 3 past the
// last (migration 019), and each row has the two before its own to stand for.
//
// Every reader expands them (`spanned`) before anything else sees an event, so the events
// API, the export and webhooks serve the very events three rows would have been.
//
// A send job's page is a row with a longer span (or a few): the same three events of each of
// its cards (analytics/job-page-events.ts). No span is longer than MAX_SPAN; on PostgreSQL
// every seq handed out is that far past the last (migration 020).
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../store/schema.js';

/** The events a row with span SEND_SPAN stands for, oldest first; null is the row's own analytics_event. */
const SEND_SPAN_EVENTS = ['action-flow-started', null, 'action-flow-completed'] as const;
export const SEND_SPAN = SEND_SPAN_EVENTS.length;

/** The names of the events a send records of a card whose own event is `own` (card-published or card-embargoed), oldest first. */
export const sendEventNames = (own: string): string[] => SEND_SPAN_EVENTS.map((name) => name ?? own);

/**
 * The most events one row stands for: a send job's page of more cards is several rows. On
 * PostgreSQL every row takes this many seqs (migration 020); at 512, an events cursor (a
 * safe integer) runs out after 1.7 × 10^13 rows.
 */
export const MAX_SPAN = 512;

/** How far past its first event's seq a row may be stored: readers bounded by a seq look this much further. */
export const MAX_SPAN_REACH = MAX_SPAN - 1;

/** The names a row with a span stands for besides its own. */
const SPANNED_NAMES: readonly string[] = SEND_SPAN_EVENTS.filter((name) => name !== null);

interface SpanRow {
  analytics_event: string;
  /** Set on a job page's row, whose events are its cards' (job-page-events.ts). */
  job_page?: string | null;
  /** '' when made from the card's id, as every event a span stands for is. */
  id: string;
  span?: number | null;
}

/** The rows `row` stands for, oldest first (with no span of their own): itself, or the three of a send. */
export function unspanned<R extends SpanRow>(row: R): R[] {
  if ((row.span ?? 1) === 1) return [row];
  // Its events are read from the cards it names, and it is stored only with seqs to hold them.
  if (row.job_page) throw new Error('a job page row stands for its cards\' events: it is stored whole, at seqs kept for them');
  return sendEventNames(row.analytics_event).map((name) => ({ ...row, span: null, ...(name === row.analytics_event ? {} : { analytics_event: name, id: '' }) }));
}

/** The events a stored row stands for, each with its own seq. */
export function spanned<R extends SpanRow & { seq: number | string }>(row: R): (R & { seq: number })[] {
  const last = Number(row.seq);
  const rows = unspanned(row);
  return rows.map((event, i) => ({ ...event, seq: last - rows.length + 1 + i }));
}

/** Rows that may stand for an event named one of `names`: those so named, and rows with a span when a name is one of those a span stands for. */
export function spanMayHold(eb: ExpressionBuilder<Database, 'analytics_events'>, names: readonly string[]) {
  return names.some((name) => SPANNED_NAMES.includes(name)) ? eb('span', 'is not', null) : undefined;
}
