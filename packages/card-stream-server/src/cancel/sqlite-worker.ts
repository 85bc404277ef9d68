// The SQLite worker: a thread of its own, with its own connection, that does the store's
// long writes so the server's thread never waits for them. better-sqlite3 is synchronous:
// on the server's thread each page of a bulk cancel job, and each WAL checkpoint (copying
// up to tens of MB back into the database), would stop every request and socket for as
// long as it ran. Here only SQLite's single writer lock is shared. It
// - runs the bulk cancel jobs that CancelJobs claims and WorkerExecutor (executor.ts)
//   passes in; their card changes go back to be announced on the server's bus;
// - counts the cards a job would cancel (the "review" count, and `matched`), a scan of up
//   to a million rows;
// - checkpoints the WAL, for every connection: the server's own connection never does
//   (app.ts turns its automatic checkpoints off).
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore, type StoreOptions } from '../db/database.js';
import { CardChangeBus, type CardChange } from '../cards/changes.js';
import { ChangeLog } from '../cards/change-log.js';
import { CardRepository } from '../cards/repository.js';
import type { CancelJobsTable } from '../db/schema.js';
import { countCancellable, runCancelJob, type CancelRunOptions } from './run.js';
import type { CardFilter } from '../cards/filter.js';
import { gateOpen, type WriteGate } from '../db/write-gate.js';

export interface CancelWorkerData {
  store: StoreOptions;
  /** Up while the server's connection is in use: no page starts then. */
  writeGate: WriteGate;
  owner: string;
  options: CancelRunOptions;
}

export type ToCancelWorker = { type: 'run'; job: CancelJobsTable } | { type: 'count'; id: number; criteria: CardFilter } | { type: 'stop' };
export type FromCancelWorker =
  | { type: 'changes'; changes: readonly CardChange[] }
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; message: string }
  | { type: 'counted'; id: number; count: number }
  | { type: 'count-failed'; id: number; message: string }
  | { type: 'error'; message: string }
  | { type: 'ready' };

/**
 * WAL pages this connection lets pile up before it checkpoints them into the database
 * (SQLite's default is 1,000). A page of a job dirties thousands of index pages, so at the
 * default every commit is followed by a checkpoint that writes most of them a second time;
 * checkpointing every 64 MB writes the pages that many commits touch only once.
 */
const CHECKPOINT_PAGES = 16_000;
/** Between jobs, what the server's connection wrote is checkpointed this often. */
const CHECKPOINT_EVERY_MS = 1000;

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs as a worker thread (see executor.ts)');
const { store: storeOptions, writeGate, owner, options } = workerData as CancelWorkerData;
const store = await openStore(storeOptions);
await sql.raw(`pragma wal_autocheckpoint = ${CHECKPOINT_PAGES}`).execute(store.db);
// PASSIVE: copies what it can without waiting for the writer or readers. Between pages of a
// job the timer gets its turn too (the job yields), so this thread never runs two at once.
const checkpoint = () =>
  sql
    .raw('pragma wal_checkpoint(PASSIVE)')
    .execute(store.db)
    .catch((err: unknown) => port.postMessage({ type: 'error', message: `checkpoint: ${err instanceof Error ? err.message : String(err)}` } satisfies FromCancelWorker));
const checkpoints = setInterval(() => void checkpoint(), CHECKPOINT_EVERY_MS);

const bus = new CardChangeBus();
bus.subscribe((changes) => port.postMessage({ type: 'changes', changes } satisfies FromCancelWorker));
const cards = new CardRepository(store.db, bus, new ChangeLog(store.db, store.kind, owner, store.insertMany, store.readDb), store.insertMany, store.kind);

let stopping = false;
let running: Promise<void> = Promise.resolve();
const context = { db: store.db, cards, owner, options, stopping: () => stopping, nextPage: () => gateOpen(writeGate) };

port.postMessage({ type: 'ready' } satisfies FromCancelWorker);
port.on('message', (message: ToCancelWorker) => {
  if (message.type === 'run') {
    const { job } = message;
    running = runCancelJob(context, job).then(
      () => port.postMessage({ type: 'done', id: job.id } satisfies FromCancelWorker),
      (err: unknown) => port.postMessage({ type: 'failed', id: job.id, message: err instanceof Error ? err.message : String(err) } satisfies FromCancelWorker),
    );
  } else if (message.type === 'count') {
    // Runs between two pages of a job in progress (each page yields to this thread's loop).
    const { id } = message;
    countCancellable(store.db, message.criteria, options.maxCards).then(
      (count) => port.postMessage({ type: 'counted', id, count } satisfies FromCancelWorker),
      (err: unknown) => port.postMessage({ type: 'count-failed', id, message: err instanceof Error ? err.message : String(err) } satisfies FromCancelWorker),
    );
  } else {
    // The job in hand stops after its page and releases its lease; then the thread ends.
    stopping = true;
    clearInterval(checkpoints);
    void running.then(() => store.close()).then(() => port.close());
  }
});
