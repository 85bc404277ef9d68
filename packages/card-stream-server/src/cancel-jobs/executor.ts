// Where claimed bulk cancel jobs run. On a SQLite file: the SQLite worker, a thread with
// its own connection (job-worker/), so a job never holds up the server's event loop. In
// memory (one connection, which a thread cannot share) and on PostgreSQL (whose queries do
// not block the loop): this thread, yielding between pages.
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../store/schema.js';
import type { CardRepository } from '../cards/repository.js';
import type { CardFilter } from '../cards/filter.js';
import type { StoreKind } from '../store/database.js';
import { countCancellable, runCancelJob, type CancelRunOptions } from './run.js';
import type { JobExecutor } from '../store/leased-jobs.js';

export interface CancelJobExecutor extends JobExecutor<CancelJobsTable> {
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
