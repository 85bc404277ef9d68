// The SQLite worker: a thread of its own, with its own connection, that does the store's
// long writes so the server's thread never waits for them. better-sqlite3 is synchronous:
// on the server's thread each page of a bulk cancel job, and each WAL checkpoint (copying
// up to tens of MB back into the database), would stop every request and socket for as
// long as it ran. Here only SQLite's single writer lock is shared. It
// - runs the bulk cancel jobs that CancelJobs claims and WorkerExecutor (executor.ts)
//   passes in; their card changes go back to be announced on the server's bus;
// - counts the cards a job would cancel (the "review" count, and `matched`), a scan of up
//   to a million rows;
// - checkpoints the WAL, for every connection (store/checkpoint.ts): the server's own
//   connection never does.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreOptions } from '../store/database.js';
import { startCheckpoints } from '../store/checkpoint.js';
import { CardChangeBus, slimChange, type CardChange } from '../cards/change-bus.js';
import { ChangeLog } from '../cards/change-log.js';
import { CardRepository } from '../cards/repository.js';
import type { CancelJobsTable } from '../store/schema.js';
import { countCancellable, runCancelJob, type CancelRunOptions } from './run.js';
import type { CardFilter } from '../cards/filter.js';
import { gateOpen, type WriteGate } from '../store/write-gate.js';

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

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs as a worker thread (see executor.ts)');
const { store: storeOptions, writeGate, owner, options } = workerData as CancelWorkerData;
// Its transactions go through the gate too (write-gate.ts): the server waits for them without blocking.
const store = await openStore(storeOptions, { gate: writeGate, side: 'worker' });
const stopCheckpoints = await startCheckpoints(store.db, writeGate, (err: unknown) =>
  port.postMessage({ type: 'error', message: `checkpoint: ${err instanceof Error ? err.message : String(err)}` } satisfies FromCancelWorker),
);

const bus = new CardChangeBus();
bus.subscribe((changes) => port.postMessage({ type: 'changes', changes: changes.map(slimChange) } satisfies FromCancelWorker));
const cards = new CardRepository(store.db, bus, new ChangeLog(store.db, store.kind, owner, store.readDb, undefined, store.now), store.insertMany, store.kind, store.db, undefined, store.now);

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
    void Promise.all([running, stopCheckpoints()])
      .then(() => store.close())
      .then(() => port.close());
  }
});
