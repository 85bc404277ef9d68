// Where claimed bulk cancel jobs run. On a SQLite file: the cancel worker, a thread with
// its own connection (worker.ts), so a job never holds up the server's event loop. In
// memory (one connection, which a thread cannot share) and on PostgreSQL (whose queries do
// not block the loop): this thread, yielding between pages.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../db/schema.js';
import type { CardRepository } from '../cards/repository.js';
import type { CardChangeBus } from '../cards/changes.js';
import { runCancelJob, type CancelRunOptions } from './run.js';
import type { CancelWorkerData, FromCancelWorker, ToCancelWorker } from './worker.js';

export interface CancelJobExecutor {
  /** Runs a job this server has claimed; settles when it is done, failed or left. */
  run(job: CancelJobsTable): Promise<void>;
  /** Leaves the job in hand after its current page (its lease released) and ends. */
  stop(): Promise<void>;
}

export class InThreadExecutor implements CancelJobExecutor {
  private stopping = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cards: CardRepository,
    private readonly owner: string,
    private readonly options: CancelRunOptions,
  ) {}

  run(job: CancelJobsTable): Promise<void> {
    this.stopping = false;
    return runCancelJob(
      {
        db: this.db,
        cards: this.cards,
        owner: this.owner,
        options: this.options,
        stopping: () => this.stopping,
      },
      job,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
  }
}

// worker.ts next to this file: .ts when run from source (tsx), .js when built.
const WORKER_URL = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function startWorkerThread(data: CancelWorkerData): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData: data });
  // Run from source: on Node 20 a worker does not inherit `--import tsx`, so it registers
  // tsx's loader itself before loading worker.ts.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** Runs jobs on the cancel worker, started with the first job and kept for the next. */
export class WorkerExecutor implements CancelJobExecutor {
  private worker: Worker | undefined;
  private pending: { id: string; resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly data: CancelWorkerData,
    /** The server's bus: the worker's card changes are announced on it. */
    private readonly bus: CardChangeBus,
  ) {}

  run(job: CancelJobsTable): Promise<void> {
    if (this.pending) return Promise.reject(new Error('the cancel worker is already running a job'));
    const worker = this.worker ?? this.startWorker();
    return new Promise((resolve, reject) => {
      this.pending = { id: job.id, resolve, reject };
      worker.postMessage({ type: 'run', job } satisfies ToCancelWorker);
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'stop' } satisfies ToCancelWorker);
    await exited;
  }

  private startWorker(): Worker {
    const worker = startWorkerThread(this.data);
    worker.on('message', (message: FromCancelWorker) => {
      if (message.type === 'changes') return this.bus.publish(message.changes);
      const pending = this.pending;
      if (pending?.id !== message.id) return;
      this.pending = undefined;
      if (message.type === 'done') pending.resolve();
      else pending.reject(new Error(message.message));
    });
    // A worker that dies leaves its job's lease to run out; the job is claimed again then.
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the cancel worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
