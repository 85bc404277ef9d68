// Writing analytics events: platform events inside the transaction of the change they
// record, SDK uploads in their own.
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { InsertMany } from '../store/insert-many.js';
import type { EventRow } from './platform-events.js';

/** Stores analytics events; with `ignoreDuplicates`, an id already stored is skipped.
 * Returns how many were stored. */
export function insertEvents(insertMany: InsertMany, tx: Transaction<Database>, events: EventRow[], ignoreDuplicates = false): Promise<number> {
  return insertMany(tx, 'analytics_events', events, ignoreDuplicates ? { ignoreConflictOn: 'id' } : {});
}
