// WAL checkpointing of a SQLite file, done by the SQLite worker (job-worker/thread.ts)
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

export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Of those, frames now in the database file. */
  checkpointed: number;
}

/** PASSIVE: copies what it can without waiting for a writer or a reader. */
export async function passiveCheckpoint(db: Kysely<Database>): Promise<CheckpointResult | undefined> {
  const { rows } = await sql.raw<CheckpointResult>('pragma wal_checkpoint(PASSIVE)').execute(db);
  return rows[0];
}

/** Unheld passive checkpoints after the bulk one, at most: see `checkpoint`. */
const SETTLE_STEPS = 3;

/** A checkpoint step: `passiveCheckpoint` on the worker's connection (a test watches the steps). */
export type CheckpointStep = (db: Kysely<Database>) => Promise<CheckpointResult | undefined>;

/**
 * One checkpoint in steps. The first copies the bulk while the server goes on writing.
 * SQLite starts the WAL over from its beginning only when a write begins with every frame
 * already in the database, which under steady writes a checkpoint beside them never
 * achieves: the server's sends add frames while it copies, and the WAL grew by every send
 * (50 MB a second in the realtime bench), each frame written past the end of the file. So
 * the last step holds the server's writes (the worker's slot of the gate) for as long as it
 * takes to copy the few frames they added meanwhile; the server's next write then restarts
 * the WAL.
 *
 * A step syncs the database file only if no frame came into the WAL while it copied: a send
 * during the bulk step left the bulk's tens of MB unsynced, and the held step synced them,
 * holding the server's writes 60-140 ms during a bulk cancel (bench/cancel.ts: sends waited up
 * to 116 ms). So between the two, unheld steps copy what came in meanwhile until one finds
 * the WAL as the step before it left it: that one synced, and the held step has a few frames
 * to copy and sync (1-3 ms, measured).
 */
export async function checkpoint(db: Kysely<Database>, gate: WriteGate, step: CheckpointStep = passiveCheckpoint): Promise<void> {
  let last = await step(db);
  if (!last || last.log <= 0) return; // nothing in the WAL, or it is busy (the result is -1 then)
  for (let i = 0; i < SETTLE_STEPS; i++) {
    const next = await step(db);
    if (!next || next.log <= 0 || next.log === last.log) break;
    last = next;
  }
  await withWorkerSlot(gate, () => step(db));
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
