// Background jobs held under a lease (bulk cancels, sends to audiences): any server may run a
// job; the one that claims it holds it while it renews the lease, and a job whose server
// stopped renewing (a crash) is claimed again once the lease runs out.
import type { Kysely } from 'kysely';
import type { CancelJobsTable, Database, SendJobsTable } from './schema.js';

type LeasedTable = 'cancel_jobs' | 'send_jobs';
type Row<T extends LeasedTable> = T extends 'cancel_jobs' ? CancelJobsTable : SendJobsTable;

/** Where a server's claimed jobs run: on its own thread, or on the job worker. */
export interface JobExecutor<J> {
  /** Gets ready to run jobs (called when the server starts); resolves once it is. */
  start(): Promise<void>;
  /** Runs a job this server has claimed; settles when it is done, failed or left. */
  run(job: J): Promise<void>;
  /** Leaves the job in hand after its current page (its lease released). */
  stop(): Promise<void>;
}

/** The next page size of a job whose pages should take `pageMs`: doubled when a page took under half that, halved when over. */
export function nextPageSize(size: number, tookMs: number, options: { pageSize: number; pageMs: number }): number {
  if (tookMs < options.pageMs / 2) return Math.min(options.pageSize, size * 2);
  if (tookMs > options.pageMs) return Math.max(10, Math.floor(size / 2));
  return size;
}

/** Takes the oldest job of `table` that is queued, or running under a lease that ran out. */
export async function claimLeasedJob<T extends LeasedTable>(db: Kysely<Database>, table: T, owner: string, leaseMs: number): Promise<Row<T> | undefined> {
  // One table's shape stands for both: the columns used here are the same in each.
  const jobs = db as unknown as Kysely<{ jobs: SendJobsTable }>;
  const from = table as unknown as 'jobs';
  const now = Date.now();
  const candidates = await jobs
    .selectFrom(from)
    .selectAll()
    .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)])]))
    .orderBy('created')
    .limit(5)
    .execute();
  for (const candidate of candidates) {
    // Guarded on what was read, so of several servers exactly one takes it.
    const taken = await jobs
      .updateTable(from)
      .set({ status: 'running', locked_by: owner, locked_until: now + leaseMs })
      .where('id', '=', candidate.id)
      .where('status', '=', candidate.status)
      .where((eb) => (candidate.locked_until === null ? eb('locked_until', 'is', null) : eb('locked_until', '=', candidate.locked_until)))
      .returningAll()
      .executeTakeFirst();
    if (taken) return taken as unknown as Row<T>;
  }
  return undefined;
}

/** Ends the job `id` of `table` that `owner` holds. */
export async function finishLeasedJob(db: Kysely<Database>, table: LeasedTable, owner: string, id: string, status: 'completed' | 'failed', error: string | null): Promise<void> {
  const jobs = db as unknown as Kysely<{ jobs: SendJobsTable }>;
  await jobs
    .updateTable(table as unknown as 'jobs')
    .set({ status, error, finished: Date.now(), locked_by: null, locked_until: null })
    .where('id', '=', id)
    .where('locked_by', '=', owner)
    .execute();
}

/** Lets another server (or this one, started again) take the job `id` of `table` that `owner` holds at once. */
export async function releaseLeasedJob(db: Kysely<Database>, table: LeasedTable, owner: string, id: string): Promise<void> {
  const jobs = db as unknown as Kysely<{ jobs: SendJobsTable }>;
  await jobs
    .updateTable(table as unknown as 'jobs')
    .set({ locked_until: 0 })
    .where('id', '=', id)
    .where('locked_by', '=', owner)
    .execute();
}

/**
 * On a store this process holds alone (a SQLite directory, locked for the process's life),
 * a job still marked running is one a crashed process held: its lease is freed at start,
 * so the job goes on at once instead of after the lease runs out.
 */
export async function freeCrashedLeases(db: Kysely<Database>, table: LeasedTable): Promise<void> {
  const jobs = db as unknown as Kysely<{ jobs: SendJobsTable }>;
  await jobs
    .updateTable(table as unknown as 'jobs')
    .set({ locked_until: 0 })
    .where('status', '=', 'running')
    .execute();
}

/**
 * Looks for jobs: at once when kicked (a job was just made here), else every `pollMs` (jobs
 * other servers made, leases that ran out). `work` runs the claimable jobs one after another;
 * one round at a time.
 */
export class JobPoller {
  stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  kick(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.kick(), this.pollMs);
      });
  }
}
