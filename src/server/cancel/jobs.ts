// Bulk cancel jobs (CONTRACT §4, seed 002): a job cancels up to 1,000,000 open cards
// matching its criteria, a page per transaction, yielding between pages so the API and
// sockets stay responsive. Its progress is stored after every page under a lease, so a job
// whose server stopped is picked up again (by any server) where it left off.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../db/schema.js';
import { OPEN_STATES } from '../../protocol/cards.js';
import type { CardRepository } from '../cards/repository.js';
import { filterConditions, type CardFilter } from '../cards/filter.js';
import { notFound } from '../http/errors.js';
import { iso } from '../time.js';

/** One job cancels at most this many cards; the rest wait for another job. */
export const MAX_CARDS_PER_JOB = 1_000_000;

export type CancelJobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface CancelJob {
  id: string;
  status: CancelJobStatus;
  criteria: CardFilter;
  matched: number;
  cancelled: number;
  requestedBy: string;
  created: string;
  finished: string | null;
}

export interface CancelJobOptions {
  /** The most cards per transaction. */
  pageSize: number;
  /**
   * How long one page should take. SQLite runs on the server's event loop, so a page
   * holds up every request while it runs: pages grow or shrink to stay near this.
   */
  pageMs: number;
  /** How long a server holds a running job without renewing; after it, another takes over. */
  leaseMs: number;
  /** How often idle servers look for queued jobs (other servers' too). */
  pollMs: number;
  /** Cards one job cancels at most (MAX_CARDS_PER_JOB; tests lower it). */
  maxCards: number;
}

export const DEFAULT_CANCEL_JOB_OPTIONS: CancelJobOptions = {
  pageSize: 1000,
  pageMs: 40,
  leaseMs: 30_000,
  pollMs: 1000,
  maxCards: MAX_CARDS_PER_JOB,
};

/** The next page size: doubled when a page took under half its time, halved when over. */
export function nextPageSize(size: number, tookMs: number, options: Pick<CancelJobOptions, 'pageSize' | 'pageMs'>): number {
  if (tookMs < options.pageMs / 2) return Math.min(options.pageSize, size * 2);
  if (tookMs > options.pageMs) return Math.max(10, Math.floor(size / 2));
  return size;
}

function toJob(row: CancelJobsTable): CancelJob {
  return {
    id: row.id,
    status: row.status as CancelJobStatus,
    criteria: JSON.parse(row.criteria) as CardFilter,
    matched: Number(row.matched),
    cancelled: Number(row.cancelled),
    requestedBy: row.requested_by,
    created: iso(Number(row.created)),
    finished: row.finished === null ? null : iso(Number(row.finished)),
  };
}

export class CancelJobs {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cards: CardRepository,
    /** This server's id: who holds a lease. */
    private readonly owner: string,
    private readonly options: CancelJobOptions,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Open cards matching `criteria`, as many as a job would cancel. */
  async preview(criteria: CardFilter): Promise<number> {
    const row = await this.db
      .selectFrom((eb) =>
        eb.selectFrom('cards').select('card_instance_id').where((w) => filterConditions(w, criteria, OPEN_STATES)).limit(this.options.maxCards).as('m'),
      )
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async create(criteria: CardFilter, requestedBy: string): Promise<CancelJob> {
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
    await this.db.insertInto('cancel_jobs').values(row).execute();
    this.kick();
    return toJob(row);
  }

  async get(id: string): Promise<CancelJob> {
    const row = await this.db.selectFrom('cancel_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('cancel_job_not_found', `There is no cancel job ${id}.`);
    return toJob(row);
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Looks for work now (a job was just created) instead of at the next poll. */
  private kick(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.kick(), this.options.pollMs);
      });
  }

  /** Runs claimable jobs one after another until none is left. */
  private async work(): Promise<void> {
    for (let job = await this.claim(); job && !this.stopped; job = await this.claim()) await this.run(job);
  }

  /** Takes the oldest job that is queued, or running under a lease that ran out. */
  private async claim(): Promise<CancelJobsTable | undefined> {
    const now = Date.now();
    const candidates = await this.db
      .selectFrom('cancel_jobs')
      .selectAll()
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)])]))
      .orderBy('created')
      .limit(5)
      .execute();
    for (const candidate of candidates) {
      // Guarded on what was read, so of several servers exactly one takes it.
      const taken = await this.db
        .updateTable('cancel_jobs')
        .set({ status: 'running', locked_by: this.owner, locked_until: now + this.options.leaseMs })
        .where('id', '=', candidate.id)
        .where('status', '=', candidate.status)
        .where((eb) => (candidate.locked_until === null ? eb('locked_until', 'is', null) : eb('locked_until', '=', candidate.locked_until)))
        .returningAll()
        .executeTakeFirst();
      if (taken) return taken;
    }
    return undefined;
  }

  private async run(job: CancelJobsTable): Promise<void> {
    const criteria = JSON.parse(job.criteria) as CardFilter;
    let cancelled = Number(job.cancelled);
    let after = job.cursor_id === null ? undefined : { created: Number(job.cursor_created), cardInstanceId: job.cursor_id };
    let size = Math.min(100, this.options.pageSize);
    try {
      while (!this.stopped && cancelled < this.options.maxCards) {
        const limit = Math.min(size, this.options.maxCards - cancelled);
        const started = performance.now();
        const page = await this.cards.cancelPage(criteria, after, limit);
        size = nextPageSize(size, performance.now() - started, this.options);
        if (!page.next) break;
        cancelled += page.cancelled;
        after = page.next;
        const kept = await this.db
          .updateTable('cancel_jobs')
          .set({ cancelled, cursor_created: after.created, cursor_id: after.cardInstanceId, locked_until: Date.now() + this.options.leaseMs })
          .where('id', '=', job.id)
          .where('locked_by', '=', this.owner)
          .executeTakeFirst();
        if (Number(kept.numUpdatedRows) === 0) return; // the lease was lost: another server goes on
        // Let requests and socket messages in between pages.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.stopped) {
        // Released at once, so the next server (or this one restarted) goes on from here.
        await this.db.updateTable('cancel_jobs').set({ locked_until: 0 }).where('id', '=', job.id).where('locked_by', '=', this.owner).execute();
        return;
      }
      await this.finish(job.id, 'completed', null);
    } catch (err) {
      await this.finish(job.id, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private async finish(id: string, status: CancelJobStatus, error: string | null): Promise<void> {
    await this.db
      .updateTable('cancel_jobs')
      .set({ status, error, finished: Date.now(), locked_by: null, locked_until: null })
      .where('id', '=', id)
      .where('locked_by', '=', this.owner)
      .execute();
  }
}
