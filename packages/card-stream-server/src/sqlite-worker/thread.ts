// The SQLite worker: a thread of its own, with its own connection, that does the store's
// long writes so the server's thread never waits for them. better-sqlite3 is synchronous:
// on the server's thread each page of a bulk cancel job or of a send to an audience, and
// each WAL checkpoint (copying up to tens of MB back into the database), would stop every
// request and socket for as long as it ran. Here only SQLite's single writer lock is
// shared. It
// - runs the bulk cancel jobs and send jobs that the server claims and passes in (host.ts);
//   their card changes go back, made small (changes.ts), to be announced on the server's bus;
// - counts the cards a cancel job would cancel (the "review" count, and `matched`) and the
//   members of segments, scans of up to a million rows;
// - checkpoints the WAL, for every connection (store/checkpoint.ts): the server's own
//   connection never does.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreOptions } from '../store/database.js';
import { startCheckpoints } from '../store/checkpoint.js';
import { CardChangeBus } from '../cards/change-bus.js';
import { ChangeLog } from '../cards/change-log.js';
import { CardRepository } from '../cards/repository.js';
import type { CancelJobsTable, SendJobsTable } from '../store/schema.js';
import { countCancellable, runCancelJob, type CancelRunOptions } from '../cancel-jobs/run.js';
import type { CardFilter } from '../cards/filter.js';
import { gateOpen, type WriteGate } from '../store/write-gate.js';
import { SendJobRunner, type SendJobOptions } from '../audiences/send-run.js';
import { TemplateRepository } from '../templates/repository.js';
import { countMembers, SegmentRepository } from '../audiences/segments.js';
import type { AudienceFilter } from '../../../protocol/src/audiences.js';
import { packChanges, type PackedChanges } from './changes.js';

export interface SqliteWorkerData {
  store: StoreOptions;
  /** Up while the server's connection is in use: no page starts then. */
  writeGate: WriteGate;
  owner: string;
  cancelJobs: CancelRunOptions;
  sendJobs: SendJobOptions;
}

/** The kinds of job the worker runs. */
export type WorkerTask = 'cancel' | 'send';

export type ToSqliteWorker =
  | { type: 'run'; task: 'cancel'; job: CancelJobsTable }
  | { type: 'run'; task: 'send'; job: SendJobsTable }
  /** The job of `task` in hand is left after its page (its lease released): the server's jobs of that kind are stopping. */
  | { type: 'leave'; task: WorkerTask }
  /** Counts what a cancel job would cancel (`cards`) or a segment's members (`members`). */
  | { type: 'count'; id: number; of: { cards: CardFilter } | { members: AudienceFilter } }
  | { type: 'stop' };
export type FromSqliteWorker =
  | ({ type: 'changes' } & PackedChanges)
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; message: string }
  | { type: 'counted'; id: number; count: number }
  | { type: 'count-failed'; id: number; message: string }
  | { type: 'error'; message: string }
  | { type: 'ready' };

const port = parentPort;
if (!port) throw new Error('sqlite-worker/thread.ts runs as a worker thread (see host.ts)');
const { store: storeOptions, writeGate, owner, cancelJobs, sendJobs } = workerData as SqliteWorkerData;
// Its transactions go through the gate too (write-gate.ts): the server waits for them without blocking.
const store = await openStore(storeOptions, { gate: writeGate, side: 'worker' });
const stopCheckpoints = await startCheckpoints(store.db, writeGate, (err: unknown) =>
  port.postMessage({ type: 'error', message: `checkpoint: ${err instanceof Error ? err.message : String(err)}` } satisfies FromSqliteWorker),
);

const bus = new CardChangeBus();
bus.subscribe((changes) => port.postMessage({ type: 'changes', ...packChanges(changes) } satisfies FromSqliteWorker));
const cards = new CardRepository(store.db, bus, new ChangeLog(store.db, store.kind, owner, store.readDb, undefined, store.now), store.insertMany, store.kind, store.db, undefined, store.now);

let stopping = false;
const leaving: Record<WorkerTask, boolean> = { cancel: false, send: false };
const running = new Set<Promise<void>>();
const nextPage = () => gateOpen(writeGate);
const cancelContext = { db: store.db, cards, owner, options: cancelJobs, stopping: () => stopping || leaving.cancel, nextPage };
const sendRunner = new SendJobRunner({
  db: store.db,
  kind: store.kind,
  cards,
  templates: new TemplateRepository(store.db),
  segments: new SegmentRepository(store.db, store.kind),
  owner,
  options: sendJobs,
  stopping: () => stopping || leaving.send,
  nextPage,
});

port.postMessage({ type: 'ready' } satisfies FromSqliteWorker);
port.on('message', (message: ToSqliteWorker) => {
  if (message.type === 'run') {
    const { job } = message;
    // A job is passed in only while the server's jobs of its kind run.
    leaving[message.task] = false;
    const run = message.task === 'cancel' ? runCancelJob(cancelContext, message.job) : sendRunner.run(message.job);
    const settled: Promise<void> = run
      .then(
        () => port.postMessage({ type: 'done', id: job.id } satisfies FromSqliteWorker),
        (err: unknown) => port.postMessage({ type: 'failed', id: job.id, message: err instanceof Error ? err.message : String(err) } satisfies FromSqliteWorker),
      )
      .finally(() => running.delete(settled));
    running.add(settled);
  } else if (message.type === 'leave') {
    leaving[message.task] = true;
  } else if (message.type === 'count') {
    // Runs between two pages of a job in progress (each page yields to this thread's loop).
    const { id, of } = message;
    const counted = 'cards' in of ? countCancellable(store.db, of.cards, cancelJobs.maxCards) : countMembers(store.db, store.kind, of.members);
    counted.then(
      (count) => port.postMessage({ type: 'counted', id, count } satisfies FromSqliteWorker),
      (err: unknown) => port.postMessage({ type: 'count-failed', id, message: err instanceof Error ? err.message : String(err) } satisfies FromSqliteWorker),
    );
  } else {
    // The jobs in hand stop after their pages and release their leases; then the thread ends.
    stopping = true;
    void Promise.all([...running, stopCheckpoints()])
      .then(() => store.close())
      .then(() => port.close());
  }
});
