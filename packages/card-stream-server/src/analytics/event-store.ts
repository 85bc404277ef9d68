// Writing analytics events: platform events inside the transaction of the change they
// record, SDK uploads in their own.
import type { Insertable, Transaction } from 'kysely';
import type { AnalyticsEventsTable, Database } from '../store/schema.js';
import type { InsertMany } from '../store/insert-many.js';
import type { EventRow } from './platform-events.js';
import { storeTemplates, storeTemplatesNow, type EventTemplate } from './event-contexts.js';
import type { StoredOnce } from '../store/stored-once.js';
import { storedEventId } from '../ids.js';
import { unspanned } from './event-spans.js';
import type { SqliteNow } from '../store/write-now.js';

/**
 * Stores analytics events; with `ignoreDuplicates`, an id already stored whole (an event
 * given `wholeEvent`, or one with no template) is skipped; `storedTemplates` knows the
 * templates stored already. Returns how many rows were stored. A row with a span is kept
 * whole only with `spans` 'keep': on PostgreSQL, where every seq handed out leaves room
 * for one (event-spans.ts); otherwise it goes as the rows it stands for.
 */
export async function insertEvents(
  insertMany: InsertMany,
  tx: Transaction<Database>,
  events: EventRow[],
  ignoreDuplicates = false,
  storedTemplates?: StoredOnce,
  spans: 'keep' | 'expand' = 'expand',
): Promise<number> {
  const { rows, templates } = eventRows(spans === 'keep' ? events : events.flatMap(unspanned));
  await storeTemplates(tx, templates, storedTemplates);
  // Ids are unique among events stored whole (event ids a client chose: SDK uploads and
  // votes); a platform event's id is a new UUIDv7, and indexing those too cost an index
  // entry per card of a send.
  return insertMany(tx, 'analytics_events', rows, ignoreDuplicates ? { ignoreConflictOn: 'id', conflictIndexWhereNull: 'context_key' } : {});
}

/** SQLite: platform events stored as `insertEvents` does, synchronously inside the connection's transaction in progress, which `write` stands for. */
export function insertEventsNow(now: SqliteNow, write: object, events: EventRow[], storedTemplates?: StoredOnce): number {
  const { rows, templates } = eventRows(events);
  storeTemplatesNow(now, write, templates, storedTemplates);
  return now.insert('analytics_events', withSpanSeqs(now, rows));
}

/**
 * `rows` with their seqs, when one of them stands for several events: each is stored at the
 * last seq of its own, so the next seq SQLite hands out (AUTOINCREMENT: one past the highest
 * ever used) follows it. The seqs are taken inside the write's transaction, which on SQLite
 * is the only writer.
 */
function withSpanSeqs(now: SqliteNow, rows: Insertable<AnalyticsEventsTable>[]): Insertable<AnalyticsEventsTable>[] {
  if (rows.every((row) => row.span === null)) return rows;
  const last = now.statement(LAST_SEQ).get() as { seq: number | bigint } | undefined;
  let seq = Number(last?.seq ?? 0);
  return rows.map((row) => ({ ...row, seq: (seq += row.span ?? 1) }));
}

const LAST_SEQ = "select seq from sqlite_sequence where name = 'analytics_events'";

/** `events` as rows, and the templates they name. */
function eventRows(events: EventRow[]): { rows: Insertable<AnalyticsEventsTable>[]; templates: EventTemplate[] } {
  const templates = new Map<string, EventTemplate>();
  const rows = events.map(({ context, ...row }) => {
    if (context) templates.set(context.key, context);
    // An event stored whole keeps its id (it must be unique among those: the index is on it);
    // a send's events store '' for the ids they make from their card's (ids.ts).
    return {
      ...row,
      id: context ? storedEventId(row.id, row.card_instance_id, row.analytics_event) : row.id,
      context_key: context?.key ?? null,
      span: row.span ?? null,
      job_page: row.job_page ?? null,
    };
  });
  return { rows, templates: [...templates.values()] };
}
