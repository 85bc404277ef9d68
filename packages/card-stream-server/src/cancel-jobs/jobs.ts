// Bulk cancel jobs (CONTRACT §4, seed 002): a job cancels up to 1,000,000 open cards
// matching its criteria. This side takes the requests and claims queued jobs (its own and,
// when their lease ran out, other servers'); run.ts runs one, a page per transaction, on
// the thread executor.ts picks, so the API and sockets stay responsive meanwhile.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../store/schema.js';
import type { CancelJobExecutor } from './executor.js';
import type { CancelRunOptions } from './run.js';
import type { CardFilter } from '../cards/filter.js';
import { MAX_CARDS_PER_JOB, type CancelCriteria, type CancelJob, type CancelJobStatus } from '../../../protocol/src/cancel-jobs.js';
import { iso } from '../time.js';
import { NotFound } from '../errors.js';
import type { AlsoRecord } from '../store/also-record.js';
import type { StoreKind } from '../store/database.js';
import { claimLeasedJob, freeCrashedLeases, JobPoller } from '../store/leased-jobs.js';

export interface CancelJobOptions extends CancelRunOptions {
  /** How often idle servers look for queued jobs (other servers' too). */
  pollMs: number;
}

/** The defaults every store shares; the page time is the store's (below). */
const SHARED_CANCEL_JOB_OPTIONS: Omit<CancelJobOptions, 'pageMs'> = {
  pageSize: 5000,
  // One page at a time: on PostgreSQL see below; SQLite runs one whatever this says.
  parallelPages: 1,
  passes: 1,
  leaseMs: 30_000,
  pollMs: 1000,
  maxCards: MAX_CARDS_PER_JOB,
};

/**
 * On PostgreSQL a job goes over each range of 8 pages in 8 passes (run.ts, `passes`): each
 * transaction then changes an eighth of the cards on each table page, whose new versions
 * fit in the 15% a page of cards keeps free (store/migrations.ts 024). Measured on 200,000
 * cards of a send: every update stayed on its page (HOT) in 8 passes at fill factor 85,
 * and in 5 at 80; at 90 in 10 passes, 1% did not, and the WAL grew by half.
 */
const CANCEL_PASSES = 8;

/**
 * The defaults on `kind`. On SQLite a server's write waits for the worker's page in
 * progress (store/write-gate.ts), and the page sizes adapt to land between half the target
 * and the target, overshooting up to about twice it: 30 ms pages keep that wait well under
 * 100 ms (50 ms pages let sends wait 100-160 ms), at no cost to the job's speed (measured
 * in bench/cancel.ts). On PostgreSQL a page stops no reader and runs beside the server's
 * thread, not on it; it holds its cards' rows and its users' sequence rows (a change to
 * one of those cards or users waits for it). There one page at a time of 100 ms: two side
 * by side (a statement each, bench/cancel.ts on 2 cores) finished a million cards in 30 s
 * but left the API no core, reads waiting up to 270 ms; one page of 100 ms took 43 s with
 * reads under 50 ms; longer pages mean fewer commits but longer waits for a change to one
 * of their cards.
 */
export function defaultCancelJobOptions(kind: StoreKind): CancelJobOptions {
  if (kind === 'postgres') return { ...SHARED_CANCEL_JOB_OPTIONS, pageMs: 100, passes: CANCEL_PASSES };
  return { ...SHARED_CANCEL_JOB_OPTIONS, pageMs: 30 };
}

function toJob(row: CancelJobsTable): CancelJob {
  return {
    id: row.id,
    status: row.status as CancelJobStatus,
    criteria: JSON.parse(row.criteria) as CancelCriteria,
    matched: Number(row.matched),
    cancelled: Number(row.cancelled),
    requestedBy: row.requested_by,
    created: iso(Number(row.created)),
    finished: row.finished === null ? null : iso(Number(row.finished)),
  };
}

export class CancelJobs {
  private readonly poller: JobPoller;

  constructor(
    private readonly db: Kysely<Database>,
    /** Where claimed jobs run. */
    private readonly executor: CancelJobExecutor,
    /** This server's id: who holds a lease. */
    private readonly owner: string,
    private readonly options: CancelJobOptions,
    onError: (err: unknown) => void,
  ) {
    this.poller = new JobPoller(() => this.work(), options.pollMs, onError);
  }

  /** Open cards matching `criteria`, as many as a job would cancel. */
  preview(criteria: CardFilter): Promise<number> {
    return this.executor.count(criteria);
  }

  async create(criteria: CardFilter, requestedBy: string, alsoRecord?: AlsoRecord<CancelJob>): Promise<CancelJob> {
    const matched = await this.preview(criteria);
    const row: CancelJobsTable = {
      id: randomUUID(),
      status: 'queued',
      criteria: JSON.stringify(criteria),
      matched,
      cancelled: 0,
      requested_by: requestedBy,
      created: Date.now(),
      finished: null,
      error: null,
      cursor_created: null,
      cursor_id: null,
      locked_by: null,
      locked_until: null,
    };
    const job = toJob(row);
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('cancel_jobs').values(row).execute();
      await alsoRecord?.(tx, job);
    });
    this.poller.kick();
    return job;
  }

  async get(id: string): Promise<CancelJob> {
    const row = await this.db.selectFrom('cancel_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('cancel_job_not_found', `There is no cancel job ${id}.`);
    return toJob(row);
  }

  /** `soleServer`: this process holds the store alone, so a running job's lease is a crashed process's. */
  async start(soleServer = false): Promise<void> {
    await this.executor.start();
    if (soleServer) await freeCrashedLeases(this.db, 'cancel_jobs');
    this.poller.start();
  }

  async stop(): Promise<void> {
    const stopping = this.poller.stop();
    await this.executor.stop();
    await stopping;
  }

  /** Runs claimable jobs one after another until none is left. */
  private async work(): Promise<void> {
    for (let job = await this.claim(); job && !this.poller.stopped; job = await this.claim()) await this.executor.run(job);
  }

  /** Takes the oldest job that is queued, or running under a lease that ran out. */
  private claim(): Promise<CancelJobsTable | undefined> {
    return claimLeasedJob(this.db, 'cancel_jobs', this.owner, this.options.leaseMs);
  }
}
