// The server's side of the job worker (thread.ts): starts it, passes in the jobs this server
// claims (send jobs; on a SQLite file cancel jobs too), asks it for counts (on a SQLite
// file, of a cancel job's cards or of a segment), and announces the card changes it sends
// back on the server's bus. Runs for as long as the server does (on a SQLite file it also
// checkpoints the WAL); restarted if it dies.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CancelJobsTable, SendJobsTable } from '../store/schema.js';
import type { CardChangeBus } from '../cards/change-bus.js';
import type { CardFilter } from '../cards/filter.js';
import type { AudienceFilter } from '../../../protocol/src/audiences.js';
import type { CancelJobExecutor } from '../cancel-jobs/executor.js';
import type { JobExecutor } from '../store/leased-jobs.js';
import { workerLeave } from '../store/write-gate.js';
import type { FromJobWorker, JobWorkerData, ToJobWorker, WorkerTask } from './thread.js';
import { unpackChanges } from './changes.js';

// thread.ts next to this file: .ts when run from source (tsx), .js when built.
const WORKER_URL = new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function startWorkerThread(data: JobWorkerData): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData: data });
  // Run from source: on Node 20 a worker does not inherit `--import tsx`, so it registers
  // tsx's loader itself before loading thread.ts.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** How long after the job worker died unexpectedly it is started again. */
const RESTART_AFTER_MS = 1000;

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class JobWorker {
  private worker: Worker | undefined;
  /** Jobs passed in and not yet settled, by job id. */
  private readonly jobs = new Map<string, Pending>();
  /** Counts asked of the worker, by request id. */
  private readonly counts = new Map<number, { resolve: (count: number) => void; reject: (err: Error) => void }>();
  private nextCountId = 0;
  private stopped = true;
  private restart: NodeJS.Timeout | undefined;
  /** Resolves when the current worker has opened the store. */
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly data: JobWorkerData,
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

  /** Ends the worker, once the jobs in hand have stopped after their pages. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.post({ type: 'stop' });
    await exited;
  }

  /** Cancel jobs, run here. */
  cancelJobs(): CancelJobExecutor {
    return { ...this.jobsOf<CancelJobsTable>('cancel'), count: (criteria) => this.count({ cards: criteria }) };
  }

  /** Send jobs, run here. */
  sendJobs(): JobExecutor<SendJobsTable> {
    return this.jobsOf<SendJobsTable>('send');
  }

  private jobsOf<J extends CancelJobsTable | SendJobsTable>(task: WorkerTask): JobExecutor<J> {
    return {
      start: () => this.start(),
      run: (job) => this.run(task, job),
      stop: async () => this.post({ type: 'leave', task }),
    };
  }

  private run(task: WorkerTask, job: CancelJobsTable | SendJobsTable): Promise<void> {
    if (this.jobs.has(job.id)) return Promise.reject(new Error(`the job worker is already running job ${job.id}`));
    const worker = (this.worker ??= this.startWorker());
    return new Promise((resolve, reject) => {
      this.jobs.set(job.id, { resolve, reject });
      worker.postMessage({ type: 'run', task, job } as ToJobWorker);
    });
  }

  /** The profiles matching `filter` now (a segment's count). */
  countMembers(filter: AudienceFilter): Promise<number> {
    return this.count({ members: filter });
  }

  private count(of: { cards: CardFilter } | { members: AudienceFilter }): Promise<number> {
    const worker = (this.worker ??= this.startWorker());
    const id = this.nextCountId++;
    return new Promise((resolve, reject) => {
      this.counts.set(id, { resolve, reject });
      worker.postMessage({ type: 'count', id, of } satisfies ToJobWorker);
    });
  }

  private post(message: ToJobWorker): void {
    this.worker?.postMessage(message);
  }

  private startWorker(): Worker {
    const worker = startWorkerThread(this.data);
    let ready = () => {};
    this.ready = new Promise((resolve) => (ready = resolve));
    worker.on('message', (message: FromJobWorker) => {
      if (message.type === 'ready') return ready();
      if (message.type === 'changes') return this.bus.publish(unpackChanges(message));
      if (message.type === 'error') return this.onError(new Error(`job worker: ${message.message}`));
      if (message.type === 'counted' || message.type === 'count-failed') {
        const asked = this.counts.get(message.id);
        this.counts.delete(message.id);
        if (message.type === 'counted') asked?.resolve(message.count);
        else asked?.reject(new Error(message.message));
        return;
      }
      const pending = this.jobs.get(message.id);
      this.jobs.delete(message.id);
      if (message.type === 'done') pending?.resolve();
      else pending?.reject(new Error(message.message));
    });
    // A job on a worker that died keeps its lease until it runs out; it is claimed again then.
    const lost = (err: Error) => {
      ready(); // a worker that failed to load does not hold the server's start up
      // Gone inside a transaction, its slot of the gate would stay up: the server waits no more.
      if (this.data.writeGate) workerLeave(this.data.writeGate);
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const pending of this.jobs.values()) pending.reject(err);
      this.jobs.clear();
      for (const asked of this.counts.values()) asked.reject(err);
      this.counts.clear();
      if (this.stopped) return;
      this.onError(err);
      this.restart = setTimeout(() => {
        if (!this.stopped) this.worker ??= this.startWorker();
      }, RESTART_AFTER_MS);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the job worker exited (code ${code})`)));
    return worker;
  }
}
