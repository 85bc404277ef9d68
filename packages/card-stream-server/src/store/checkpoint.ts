// WAL checkpointing of a SQLite file, done by the SQLite worker (cancel-jobs/sqlite-worker.ts)
// for every connection: the server's own connection never checkpoints (database.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * How often the worker checkpoints, between jobs and between the pages of one. Never as
 * part of a commit (SQLite's autocheckpoint, off here as on the server's connection): the
 * worker's commit happens with its slot of the write gate up (write-gate.ts), and a
 * checkpoint copying tens of MB there kept the server's sends waiting 100-250 ms during a
 * bulk cancel. A PASSIVE checkpoint on its own lets writers go on beside it.
 */
const CHECKPOINT_EVERY_MS = 500;

/** Starts checkpointing on `db`'s connection; returns the function that stops it. */
export async function startCheckpoints(db: Kysely<Database>, onError: (err: unknown) => void): Promise<() => void> {
  await sql.raw('pragma wal_autocheckpoint = 0').execute(db);
  // PASSIVE: copies what it can without waiting for the writer or readers. Between pages of
  // a job the timer gets its turn too (the job yields), so the thread never runs two at once.
  const timer = setInterval(() => void sql.raw('pragma wal_checkpoint(PASSIVE)').execute(db).catch(onError), CHECKPOINT_EVERY_MS);
  return () => clearInterval(timer);
}
