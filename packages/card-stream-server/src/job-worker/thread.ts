// The job worker: a thread of its own, with its own connection to the store, that runs the
// server's long background work so the server's thread never waits for it. A send job's
// page builds thousands of cards and their events in JavaScript, and on the server's thread
// every request and socket waited for that (and for the garbage it left) as long as it ran.
// It
// - runs the send jobs to audiences (on a SQLite file and on PostgreSQL) and, on a SQLite
//   file, the bulk cancel jobs that the server claims and passes in (host.ts); their card
//   changes go back, made small (changes.ts), to be announced on the server's bus;
// - on a SQLite file (where it is "the SQLite worker") it does every long write and scan:
//   better-sqlite3 is synchronous, so on the server's thread a cancel page, a WAL checkpoint
//   (copying up to tens of MB back into the database), a count of a cancel job's cards or of
//   a segment's members (up to a million rows) would stop every request and socket for as
//   long as it ran. There only SQLite's single writer lock is shared (through the write
//   gate), and the worker checkpoints the WAL for every connection (store/checkpoint.ts):
//   the server's own connection never does.
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

export interface JobWorkerData {
  store: StoreOptions;
  /** A SQLite file's write gate: up while the server's connection is in use, and no page starts then. */
  writeGate?: WriteGate;
  owner: string;
  cancelJobs: CancelRunOptions;
  sendJobs: SendJobOptions;
}

/** The kinds of job the worker runs. */
export type WorkerTask = 'cancel' | 'send';

export type ToJobWorker =
  | { type: 'run'; task: 'cancel'; job: CancelJobsTable }
  | { type: 'run'; task: 'send'; job: SendJobsTable }
  /** The job of `task` in hand is left after its page (its lease released): the server's jobs of that kind are stopping. */
  | { type: 'leave'; task: WorkerTask }
  /** Counts what a cancel job would cancel (`cards`) or a segment's members (`members`). */
  | { type: 'count'; id: number; of: { cards: CardFilter } | { members: AudienceFilter } }
  | { type: 'stop' };
export type FromJobWorker =
  | ({ type: 'changes' } & PackedChanges)
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; message: string }
  | { type: 'counted'; id: number; count: number }
  | { type: 'count-failed'; id: number; message: string }
  | { type: 'error'; message: string }
  | { type: 'ready' };

const port = parentPort;
if (!port) throw new Error('job-worker/thread.ts runs as a worker thread (see host.ts)');
const { store: storeOptions, writeGate, owner, cancelJobs, sendJobs } = workerData as JobWorkerData;
// On a SQLite file its transactions go through the gate too (write-gate.ts): the server waits for them without blocking.
const store = await openStore(storeOptions, writeGate && { gate: writeGate, side: 'worker' });
const reportCheckpointError = (err: unknown) =>
  port.postMessage({ type: 'error', message: `checkpoint: ${err instanceof Error ? err.message : String(err)}` } satisfies FromJobWorker);
const stopCheckpoints = writeGate ? await startCheckpoints(store.db, writeGate, reportCheckpointError) : async () => {};

const bus = new CardChangeBus();
bus.subscribe((changes) => port.postMessage({ type: 'changes', ...packChanges(changes) } satisfies FromJobWorker));
const cards = new CardRepository(store.db, bus, new ChangeLog(store.db, store.kind, owner, store.readDb, undefined, store.now), store.insertMany, store.kind, store.db, undefined, store.now);

let stopping = false;
const leaving: Record<WorkerTask, boolean> = { cancel: false, send: false };
const running = new Set<Promise<void>>();
const nextPage = writeGate && (() => gateOpen(writeGate));
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

port.postMessage({ type: 'ready' } satisfies FromJobWorker);
port.on('message', (message: ToJobWorker) => {
  if (message.type === 'run') {
    const { job } = message;
    // A job is passed in only while the server's jobs of its kind run.
    leaving[message.task] = false;
    const run = message.task === 'cancel' ? runCancelJob(cancelContext, message.job) : sendRunner.run(message.job);
    const settled: Promise<void> = run
      .then(
        () => port.postMessage({ type: 'done', id: job.id } satisfies FromJobWorker),
        (err: unknown) => port.postMessage({ type: 'failed', id: job.id, message: err instanceof Error ? err.message : String(err) } satisfies FromJobWorker),
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
      (count) => port.postMessage({ type: 'counted', id, count } satisfies FromJobWorker),
      (err: unknown) => port.postMessage({ type: 'count-failed', id, message: err instanceof Error ? err.message : String(err) } satisfies FromJobWorker),
    );
  } else {
    // The jobs in hand stop after their pages and release their leases; then the thread ends.
    stopping = true;
    void Promise.all([...running, stopCheckpoints()])
      .then(() => store.close())
      .then(() => port.close());
  }
});
