// Writing analytics events: platform events inside the transaction of the change they
// record, SDK uploads in their own.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { InsertMany } from '../store/insert-many.js';
import type { EventRow } from './platform-events.js';

/** Stores analytics events; with `ignoreDuplicates`, an id already stored is skipped.
 * Returns how many were stored. */
export function insertEvents(insertMany: InsertMany, tx: Transaction<Database>, events: EventRow[], ignoreDuplicates = false): Promise<number> {
  return insertMany(tx, 'analytics_events', events, ignoreDuplicates ? { ignoreConflictOn: 'id' } : {});
}

/**
 * PostgreSQL: `events` in one statement, however many (a bulk cancel stores thousands per
 * page). Their short columns go as one JSON array; their bodies, JSON text that never holds a
 * raw line break, as one text of a line each. PostgreSQL splits that in about half the time
 * it takes to unescape the same bodies from inside JSON, and this side builds two strings
 * instead of compiling and binding a 4,000-parameter VALUES list per 500 rows.
 * Falls back to `insertEvents` for a body with a line break (none of the platform's).
 */
export async function insertEventsOnPostgres(insertMany: InsertMany, tx: Transaction<Database>, events: EventRow[]): Promise<number> {
  if (events.length === 0) return 0;
  if (events.some((e) => e.body.includes('\n'))) return insertEvents(insertMany, tx, events);
  const columns = events.map(({ body: _, ...columns }) => columns);
  await sql`insert into analytics_events (id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, card_template_id, body)
    select id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, card_template_id, body
    from rows from (
      json_to_recordset(${JSON.stringify(columns)}::json) as (id text, analytics_event text, end_user_id text, timestamp bigint,
        card_instance_id text, lifecycle_id text, card_template_id text),
      string_to_table(${events.map((e) => e.body).join('\n')}::text, E'\\n')
    ) as e(id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, card_template_id, body)`.execute(tx);
  return events.length;
}
