// WAL checkpointing of a SQLite file, done by the SQLite worker (cancel-jobs/sqlite-worker.ts)
// for every connection: the server's own connection never checkpoints (database.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * WAL pages the worker's connection lets pile up before it checkpoints them into the
 * database (SQLite's default is 1,000). A page of a bulk job dirties thousands of index
 * pages, so at the default every commit is followed by a checkpoint that writes most of
 * them a second time; checkpointing every 64 MB writes the pages that many commits touch
 * only once.
 */
const CHECKPOINT_PAGES = 16_000;
/** Between jobs, what the server's connection wrote is checkpointed this often. */
const CHECKPOINT_EVERY_MS = 1000;

/** Starts checkpointing on `db`'s connection; returns the function that stops it. */
export async function startCheckpoints(db: Kysely<Database>, onError: (err: unknown) => void): Promise<() => void> {
  await sql.raw(`pragma wal_autocheckpoint = ${CHECKPOINT_PAGES}`).execute(db);
  // PASSIVE: copies what it can without waiting for the writer or readers. Between pages of
  // a job the timer gets its turn too (the job yields), so the thread never runs two at once.
  const timer = setInterval(() => void sql.raw('pragma wal_checkpoint(PASSIVE)').execute(db).catch(onError), CHECKPOINT_EVERY_MS);
  return () => clearInterval(timer);
}
