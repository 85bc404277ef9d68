// The cancel worker: a thread of its own that runs bulk cancel jobs on a SQLite file, with
// its own connection. better-sqlite3 is synchronous, so on the server's thread every page
// of a job would stop every request and socket for as long as it ran; here only SQLite's
// single writer lock is shared. Started by CancelWorker (executor.ts), which claims the
// jobs and passes them in; the card changes come back to be announced on the server's bus.
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore, type StoreOptions } from '../db/database.js';
import { CardChangeBus, type CardChange } from '../cards/changes.js';
import { ChangeLog } from '../cards/change-log.js';
import { CardRepository } from '../cards/repository.js';
import type { CancelJobsTable } from '../db/schema.js';
import { runCancelJob, type CancelRunOptions } from './run.js';

export interface CancelWorkerData {
  store: StoreOptions;
  owner: string;
  options: CancelRunOptions;
}

export type ToCancelWorker = { type: 'run'; job: CancelJobsTable } | { type: 'stop' };
export type FromCancelWorker =
  | { type: 'changes'; changes: readonly CardChange[] }
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; message: string };

/**
 * WAL pages this connection lets pile up before it checkpoints them into the database
 * (SQLite's default is 1,000). A page of a job dirties thousands of index pages, so at the
 * default every commit is followed by a checkpoint that writes most of them a second time;
 * checkpointing every 64 MB writes the pages that many commits touch only once.
 */
const CHECKPOINT_PAGES = 16_000;

const port = parentPort;
if (!port) throw new Error('worker.ts runs as a worker thread (see executor.ts)');
const { store: storeOptions, owner, options } = workerData as CancelWorkerData;
const store = await openStore(storeOptions);
await sql.raw(`pragma wal_autocheckpoint = ${CHECKPOINT_PAGES}`).execute(store.db);

const bus = new CardChangeBus();
bus.subscribe((changes) => port.postMessage({ type: 'changes', changes } satisfies FromCancelWorker));
const cards = new CardRepository(store.db, bus, new ChangeLog(store.db, store.kind, owner, store.insertMany, store.readDb), store.insertMany);

let stopping = false;
let running: Promise<void> = Promise.resolve();
const context = { db: store.db, cards, owner, options, stopping: () => stopping };

port.on('message', (message: ToCancelWorker) => {
  if (message.type === 'run') {
    const { job } = message;
    running = runCancelJob(context, job).then(
      () => port.postMessage({ type: 'done', id: job.id } satisfies FromCancelWorker),
      (err: unknown) => port.postMessage({ type: 'failed', id: job.id, message: err instanceof Error ? err.message : String(err) } satisfies FromCancelWorker),
    );
  } else {
    // The job in hand stops after its page and releases its lease; then the thread ends.
    stopping = true;
    void running.then(() => store.close()).then(() => port.close());
  }
});
