// Where claimed bulk cancel jobs run. On a SQLite file: the SQLite worker, a thread with
// its own connection (sqlite-worker.ts), so a job never holds up the server's event loop. In
// memory (one connection, which a thread cannot share) and on PostgreSQL (whose queries do
// not block the loop): this thread, yielding between pages.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../store/schema.js';
import type { CardRepository } from '../cards/repository.js';
import type { CardChangeBus } from '../cards/change-bus.js';
import type { CardFilter } from '../cards/filter.js';
import type { StoreKind } from '../store/database.js';
import { countCancellable, runCancelJob, type CancelRunOptions } from './run.js';
import type { CancelWorkerData, FromCancelWorker, ToCancelWorker } from './sqlite-worker.js';
import { workerLeave } from '../store/write-gate.js';

export interface CancelJobExecutor {
  /** Gets ready to run jobs (called when the server starts); resolves once it is. */
  start(): Promise<void>;
  /** Runs a job this server has claimed; settles when it is done, failed or left. */
  run(job: CancelJobsTable): Promise<void>;
  /** Leaves the job in hand after its current page (its lease released) and ends. */
  stop(): Promise<void>;
  /**
   * Open cards matching `criteria`, at most a job's worth. Counted where jobs run: on a
   * SQLite file, counting a million cards on the server's thread would stop it for a second.
   */
  count(criteria: CardFilter): Promise<number>;
}

export class InThreadExecutor implements CancelJobExecutor {
  private stopping = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cards: CardRepository,
    private readonly owner: string,
    private readonly options: CancelRunOptions,
    /** On PostgreSQL a job runs `parallelPages` pages at once; in memory, one. */
    private readonly kind: StoreKind,
  ) {}

  async start(): Promise<void> {
    this.stopping = false;
  }

  run(job: CancelJobsTable): Promise<void> {
    return runCancelJob(
      {
        db: this.db,
        cards: this.cards,
        owner: this.owner,
        options: this.options,
        stopping: () => this.stopping,
        parallel: this.kind === 'postgres' ? this.options.parallelPages : 1,
      },
      job,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
  }

  count(criteria: CardFilter): Promise<number> {
    return countCancellable(this.db, criteria, this.options.maxCards);
  }
}

// sqlite-worker.ts next to this file: .ts when run from source (tsx), .js when built.
const WORKER_URL = new URL(`./sqlite-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function startWorkerThread(data: CancelWorkerData): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData: data });
  // Run from source: on Node 20 a worker does not inherit `--import tsx`, so it registers
  // tsx's loader itself before loading sqlite-worker.ts.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** How long after the SQLite worker died unexpectedly it is started again. */
const RESTART_AFTER_MS = 1000;

/**
 * Runs jobs on the SQLite worker (sqlite-worker.ts), which also checkpoints the WAL and so runs for
 * as long as the server does; restarted if it dies.
 */
export class WorkerExecutor implements CancelJobExecutor {
  private worker: Worker | undefined;
  private pending: { id: string; resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Counts asked of the worker, by request id. */
  private readonly counts = new Map<number, { resolve: (count: number) => void; reject: (err: Error) => void }>();
  private nextCountId = 0;
  private stopped = true;
  private restart: NodeJS.Timeout | undefined;
  /** Resolves when the current worker has opened the store. */
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly data: CancelWorkerData,
    /** The server's bus: the worker's card changes are announced on it. */
    private readonly bus: CardChangeBus,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts the worker and waits for it, so the server takes no requests while it loads. */
  start(): Promise<void> {
    this.stopped = false;
    this.worker ??= this.startWorker();
    return this.ready;
  }

  run(job: CancelJobsTable): Promise<void> {
    if (this.pending) return Promise.reject(new Error('the SQLite worker is already running a job'));
    const worker = (this.worker ??= this.startWorker());
    return new Promise((resolve, reject) => {
      this.pending = { id: job.id, resolve, reject };
      worker.postMessage({ type: 'run', job } satisfies ToCancelWorker);
    });
  }

  count(criteria: CardFilter): Promise<number> {
    const worker = (this.worker ??= this.startWorker());
    const id = this.nextCountId++;
    return new Promise((resolve, reject) => {
      this.counts.set(id, { resolve, reject });
      worker.postMessage({ type: 'count', id, criteria } satisfies ToCancelWorker);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'stop' } satisfies ToCancelWorker);
    await exited;
  }

  private startWorker(): Worker {
    const worker = startWorkerThread(this.data);
    let ready = () => {};
    this.ready = new Promise((resolve) => (ready = resolve));
    worker.on('message', (message: FromCancelWorker) => {
      if (message.type === 'ready') return ready();
      if (message.type === 'changes') return this.bus.publish(message.changes);
      if (message.type === 'error') return this.onError(new Error(`SQLite worker: ${message.message}`));
      if (message.type === 'counted' || message.type === 'count-failed') {
        const asked = this.counts.get(message.id);
        this.counts.delete(message.id);
        if (message.type === 'counted') asked?.resolve(message.count);
        else asked?.reject(new Error(message.message));
        return;
      }
      const pending = this.pending;
      if (pending?.id !== message.id) return;
      this.pending = undefined;
      if (message.type === 'done') pending.resolve();
      else pending.reject(new Error(message.message));
    });
    // A job on a worker that died keeps its lease until it runs out; it is claimed again then.
    const lost = (err: Error) => {
      ready(); // a worker that failed to load does not hold the server's start up
      // Gone inside a transaction, its slot of the gate would stay up: the server waits no more.
      workerLeave(this.data.writeGate);
      if (this.worker !== worker) return;
      this.worker = undefined;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(err);
      for (const asked of this.counts.values()) asked.reject(err);
      this.counts.clear();
      if (this.stopped) return;
      this.onError(err);
      this.restart = setTimeout(() => {
        if (!this.stopped) this.worker ??= this.startWorker();
      }, RESTART_AFTER_MS);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the SQLite worker exited (code ${code})`)));
    return worker;
  }
}
