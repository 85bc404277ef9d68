// Reading stored analytics events (CONTRACT §7): one filter for the events API, the export
// and nothing else, always in seq order, paged by keyset (seq > cursor) so a deep page
// costs what the first one does.
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AnalyticsEventsTable, Database } from '../store/schema.js';
import type { EventContexts } from './event-contexts.js';
import { derivedId } from '../ids.js';
import { parseInstant } from '../time.js';
import type { EventFilterQuery } from '../../../protocol/src/analytics.js';
import { InvalidInput } from '../errors.js';
import { MAX_SPAN_REACH, spanMayHold, spanned } from './event-spans.js';
import { jobEventsOf, jobPageEvents, type JobPageEvent, type JobPageRow } from './job-page-events.js';

/** The query's filter with its times read: `from` inclusive, `to` exclusive, in milliseconds. */
export type EventFilter = Omit<EventFilterQuery, 'from' | 'to'> & { from?: number; to?: number };

/** Checks the times and builds the filter; a bad time is a 400 naming the attribute. */
export function eventFilterFrom(query: EventFilterQuery): EventFilter {
  const { from, to, ...attributes } = query;
  const filter: EventFilter = { ...attributes };
  const fromMs = timeAttribute('from', from);
  const toMs = timeAttribute('to', to);
  if (fromMs !== undefined) filter.from = fromMs;
  if (toMs !== undefined) filter.to = toMs;
  return filter;
}

/** A time query attribute in milliseconds; a bad one is a 400 naming it. */
export function timeAttribute(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const at = parseInstant(text);
  if (at === undefined) throw new InvalidInput('invalid_time', `${name} must be an ISO 8601 time with Z or an offset; it was "${text}".`, name);
  return at;
}

// The cursor is the last seq a page returned, as base64url text: opaque to clients, and
// stable across servers and restarts because seq is the store's own order.
export const encodeCursor = (seq: number): string => Buffer.from(String(seq)).toString('base64url');

export function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  // Any seq a JavaScript number holds exactly (PostgreSQL's step by MAX_SPAN, event-spans.ts, reaches 15 digits sooner).
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidInput('invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page.');
  }
  return Number(text);
}

/**
 * The events that `analytics_events_name` leaves out: the three every send makes of every
 * card. An entry for each cost a send three more index pages to write (each name its own
 * page) and a million-member send a million entries; they are a third of all events, so a
 * query for one of them finds enough of them walking the events in seq order. Fixed: the
 * index was made with exactly these (migration 015_event_name_index).
 */
export const SEND_EVENTS = ['action-flow-started', 'card-published', 'action-flow-completed'] as const;
const isSendEvent = (name: string): boolean => (SEND_EVENTS as readonly string[]).includes(name);

/**
 * Rows that may hold an event named one of `names`: so named (for names the partial index
 * holds, with its own condition spelled out so that both stores' planners see they may use
 * it), or standing for such an event (event-spans.ts). The rows still need `spanned` and a
 * look at each event's own name.
 */
export function eventNameIs(eb: ExpressionBuilder<Database, 'analytics_events'>, names: readonly string[]) {
  const named = names.length === 1 ? eb('analytics_event', '=', names[0] as string) : eb('analytics_event', 'in', names);
  if (!names.some(isSendEvent)) return eb.and([named, eb('analytics_event', 'not in', SEND_EVENTS)]);
  const spans = spanMayHold(eb, names);
  return spans ? eb.or([named, spans]) : named;
}

function conditions(eb: ExpressionBuilder<Database, 'analytics_events'>, filter: EventFilter) {
  const all = [];
  if (filter.analyticsEvent !== undefined) all.push(eventNameIs(eb, [filter.analyticsEvent]));
  if (filter.endUserId !== undefined) all.push(eb('end_user_id', '=', filter.endUserId));
  if (filter.cardInstanceId !== undefined) all.push(eb('card_instance_id', '=', filter.cardInstanceId));
  if (filter.lifecycleId !== undefined) {
    // Stored whole (the partial index holds those), or '' on the events of the card it is made from (ids.ts).
    const stored = eb.and([eb('lifecycle_id', '=', filter.lifecycleId), eb('lifecycle_id', '<>', '')]);
    const cardId = derivedId(filter.lifecycleId, 'lifecycle');
    all.push(cardId === undefined ? stored : eb.or([stored, eb.and([eb('card_instance_id', '=', cardId), eb('lifecycle_id', '=', '')])]));
  }
  if (filter.from !== undefined) all.push(eb('timestamp', '>=', filter.from));
  if (filter.to !== undefined) all.push(eb('timestamp', '<', filter.to));
  return eb.and(all);
}

export interface StoredEvent {
  seq: number;
  /** The event's JSON as it was made, unparsed: it goes out exactly so. */
  body: string;
}

/** The columns `storedEvents` makes whole events of. */
export const STORED_EVENT_COLUMNS = ['seq', 'body', 'context_key', 'id', 'analytics_event', 'end_user_id', 'timestamp', 'card_instance_id', 'lifecycle_id', 'card_template_id', 'span', 'job_page'] as const;

/** Which events `readEvents` reads. */
export interface EventRange {
  /** Events after this seq… */
  after: number;
  /** …and at most this one, if given. */
  end?: number;
  limit: number;
  /** Rows that may hold the events wanted (eventNameIs, and the like). */
  where?: (eb: ExpressionBuilder<Database, 'analytics_events'>) => ReturnType<ExpressionBuilder<Database, 'analytics_events'>['and']>;
  /** Only events of these names, if given. */
  names?: readonly string[];
  /** Events that `where` cannot find, found otherwise (jobEventsOf), oldest first: those in the range are served among the rest. */
  also?: readonly JobPageEvent[];
}

/**
 * Up to `limit` events of `range`, oldest first, whole: the rows `where` picks, each row with
 * a span expanded into its events (event-spans.ts; a job page's from its cards,
 * job-page-events.ts), of which those in the range and of the names asked for are kept,
 * merged with `also`. A page may end inside a span; the next, from that seq, goes on with
 * the rest of it.
 */
export async function readEvents(db: Kysely<Database>, contexts: EventContexts, range: EventRange): Promise<StoredEvent[]> {
  const { after, end, limit, where, names } = range;
  const wanted = (event: { seq: number; analytics_event: string }) => event.seq > after && (end === undefined || event.seq <= end) && (!names || names.includes(event.analytics_event));
  const events: Parameters<typeof storedEvents>[1][number][] = [];
  let from = after;
  read: for (;;) {
    const rows = (await db
      .selectFrom('analytics_events')
      .select(STORED_EVENT_COLUMNS)
      .where((eb) =>
        eb.and([
          eb('seq', '>', from),
          // A row stored up to MAX_SPAN_REACH past `end` may stand for events up to it.
          ...(end === undefined ? [] : [eb('seq', '<=', end + MAX_SPAN_REACH)]),
          ...(where ? [where(eb)] : []),
        ]),
      )
      .orderBy('seq')
      .limit(limit)
      .execute()) as JobPageRow[];
    for (const row of rows) {
      // Rows come in seq order: one whose first event lies past `end` has none of the range, nor has any after it.
      if (end !== undefined && Number(row.seq) - (row.span ?? 1) + 1 > end) break read;
      if (row.job_page !== null) {
        events.push(...(await jobPageEvents(db, row, { after, ...(end === undefined ? {} : { end }), max: limit - events.length, ...(names ? { names } : {}) })));
      } else {
        for (const event of spanned(row)) if (wanted(event)) events.push(event);
      }
      if (events.length >= limit) break read;
    }
    // Every row read may have held none of the events wanted (a span's other names, or past `end`): read on.
    if (rows.length < limit) break;
    from = Number((rows.at(-1) as JobPageRow).seq);
  }
  if (range.also?.length) {
    // `events` holds every event of the range, or at least `limit` of its first: either way
    // the first `limit` of the two together are the range's.
    events.push(...range.also.filter(wanted));
    events.sort((a, b) => a.seq - b.seq);
  }
  return storedEvents(contexts, events.slice(0, limit));
}

/** Stored events read with STORED_EVENT_COLUMNS, whole (analytics/event-contexts.ts). */
export async function storedEvents(
  contexts: EventContexts,
  rows: readonly (Omit<Pick<AnalyticsEventsTable, (typeof STORED_EVENT_COLUMNS)[number]>, 'seq'> & { seq: number })[],
): Promise<StoredEvent[]> {
  return (await contexts.bodies(rows)).map((row) => ({ seq: Number(row.seq), body: row.body }));
}

export class EventReader {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly contexts: EventContexts,
  ) {}

  /** Up to `limit` matching events after `afterSeq` (and at most `maxSeq`), oldest first. */
  async page(filter: EventFilter, afterSeq: number, limit: number, maxSeq?: number): Promise<StoredEvent[]> {
    return readEvents(this.db, this.contexts, {
      after: afterSeq,
      ...(maxSeq === undefined ? {} : { end: maxSeq }),
      limit,
      where: (eb) => conditions(eb, filter),
      ...(filter.analyticsEvent === undefined ? {} : { names: [filter.analyticsEvent] }),
      also: await this.jobEvents(filter),
    });
  }

  /**
   * The events of job pages' rows that `filter` wants but cannot find by their columns: of
   * the cards of its user, card or lifecycle (a job's cards' lifecycle ids are made from
   * their ids). Filters on none of those find the rows themselves.
   */
  private async jobEvents(filter: EventFilter): Promise<JobPageEvent[]> {
    if (filter.endUserId === undefined && filter.cardInstanceId === undefined && filter.lifecycleId === undefined) return [];
    if (filter.analyticsEvent !== undefined && !isSendEvent(filter.analyticsEvent)) return [];
    let cardId = filter.cardInstanceId;
    if (filter.lifecycleId !== undefined) {
      const ofLifecycle = derivedId(filter.lifecycleId, 'lifecycle');
      if (ofLifecycle === undefined || (cardId !== undefined && cardId !== ofLifecycle)) return [];
      cardId = ofLifecycle;
    }
    return jobEventsOf(this.db, STORED_EVENT_COLUMNS, {
      ...(filter.endUserId === undefined ? {} : { userId: filter.endUserId }),
      ...(cardId === undefined ? {} : { cardId }),
      ...(filter.from === undefined ? {} : { from: filter.from }),
      ...(filter.to === undefined ? {} : { to: filter.to }),
    });
  }

  maxSeq(): Promise<number> {
    return newestSeq(this.db);
  }
}

/** The newest seq stored now (0 when there is none). */
export async function newestSeq(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('analytics_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}
