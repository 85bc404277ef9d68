// WAL checkpointing of a SQLite file, done by the SQLite worker (cancel-jobs/sqlite-worker.ts)
// for every connection: the server's own connection never checkpoints (database.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { withWorkerSlot, type WriteGate } from './write-gate.js';

/**
 * How often the worker checkpoints, between jobs and between the pages of one. Never as
 * part of a commit (SQLite's autocheckpoint, off here as on the server's connection): the
 * worker's commit happens with its slot of the write gate up (write-gate.ts), and a
 * checkpoint copying tens of MB there kept the server's sends waiting 100-250 ms during a
 * bulk cancel.
 */
const CHECKPOINT_EVERY_MS = 500;

interface CheckpointResult {
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Of those, frames now in the database file. */
  checkpointed: number;
}

/** PASSIVE: copies what it can without waiting for a writer or a reader. */
async function passiveCheckpoint(db: Kysely<Database>): Promise<CheckpointResult | undefined> {
  const { rows } = await sql.raw<CheckpointResult>('pragma wal_checkpoint(PASSIVE)').execute(db);
  return rows[0];
}

/**
 * One checkpoint in two steps. The first copies the bulk while the server goes on writing.
 * SQLite starts the WAL over from its beginning only when a write begins with every frame
 * already in the database, which under steady writes a checkpoint beside them never
 * achieves: the server's sends add frames while it copies, and the WAL grew by every send
 * (50 MB a second in the realtime bench), each frame written past the end of the file. So
 * the second step holds the server's writes (the worker's slot of the gate) for as long as
 * it takes to copy the few frames they added meanwhile; the server's next write then
 * restarts the WAL.
 */
async function checkpoint(db: Kysely<Database>, gate: WriteGate): Promise<void> {
  const bulk = await passiveCheckpoint(db);
  if (!bulk || bulk.log <= 0) return; // nothing in the WAL, or it is busy (the result is -1 then)
  await withWorkerSlot(gate, () => passiveCheckpoint(db));
}

/** Starts checkpointing on `db`'s connection; returns the function that stops it, once the checkpoint in progress (if any) is over. */
export async function startCheckpoints(db: Kysely<Database>, gate: WriteGate, onError: (err: unknown) => void): Promise<() => Promise<void>> {
  await sql.raw('pragma wal_autocheckpoint = 0').execute(db);
  // Between pages of a job the timer gets its turn too (the job yields); one at a time.
  let inProgress: Promise<void> | undefined;
  const timer = setInterval(() => {
    inProgress ??= checkpoint(db, gate)
      .catch(onError)
      .finally(() => (inProgress = undefined));
  }, CHECKPOINT_EVERY_MS);
  return async () => {
    clearInterval(timer);
    await inProgress;
  };
}
