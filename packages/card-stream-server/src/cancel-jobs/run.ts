// Running one claimed bulk cancel job: a page of cards per transaction, its progress and
// lease stored after every page, so a job whose server stopped is picked up again (by any
// server) where it left off. Runs on the server's thread or on the SQLite worker
// (sqlite-worker.ts); either way through a CardRepository, so the changes reach the sockets.
import type { Kysely } from 'kysely';
import type { Database, CancelJobsTable } from '../store/schema.js';
import type { CardRepository } from '../cards/repository.js';
import { filterConditions, type CardFilter } from '../cards/filter.js';
import { OPEN_STATES } from '../../../protocol/src/cards.js';
import type { CancelJobStatus } from '../../../protocol/src/cancel-jobs.js';

export interface CancelRunOptions {
  /** The most cards per transaction. */
  pageSize: number;
  /**
   * How long one page should take. A page holds SQLite's single writer (and, on the
   * server's own thread, its event loop) while it runs: pages grow or shrink to stay near it.
   */
  pageMs: number;
  /** How long a server holds a running job without renewing; after it, another takes over. */
  leaseMs: number;
  /** Cards one job cancels at most. */
  maxCards: number;
}

/** The next page size: doubled when a page took under half its time, halved when over. */
export function nextPageSize(size: number, tookMs: number, options: Pick<CancelRunOptions, 'pageSize' | 'pageMs'>): number {
  if (tookMs < options.pageMs / 2) return Math.min(options.pageSize, size * 2);
  if (tookMs > options.pageMs) return Math.max(10, Math.floor(size / 2));
  return size;
}

export interface CancelRunContext {
  db: Kysely<Database>;
  cards: CardRepository;
  /** This server's id: who holds the lease. */
  owner: string;
  options: CancelRunOptions;
  /** True once the server is stopping: the job is left, lease released, after this page. */
  stopping: () => boolean;
  /** Resolves when the next page may start (the SQLite worker waits for the server's writes). */
  nextPage?: () => Promise<void>;
}

/** Open cards matching `criteria`, at most `maxCards`: what a job made now would cancel. */
export async function countCancellable(db: Kysely<Database>, criteria: CardFilter, maxCards: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb.selectFrom('cards').select('card_instance_id').where((w) => filterConditions(w, criteria, OPEN_STATES)).limit(maxCards).as('m'),
    )
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Runs `job`, claimed by `owner`, until it is done, the lease is lost or the server stops. */
export async function runCancelJob(context: CancelRunContext, job: CancelJobsTable): Promise<void> {
  const { db, cards, owner, options, stopping } = context;
  const criteria = JSON.parse(job.criteria) as CardFilter;
  let cancelled = Number(job.cancelled);
  let after = job.cursor_id === null ? undefined : { created: Number(job.cursor_created), cardInstanceId: job.cursor_id };
  let size = Math.min(100, options.pageSize);
  try {
    while (!stopping() && cancelled < options.maxCards) {
      const limit = Math.min(size, options.maxCards - cancelled);
      const started = performance.now();
      const page = await cards.cancelPage(criteria, after, limit);
      size = nextPageSize(size, performance.now() - started, options);
      if (!page.next) break;
      cancelled += page.cancelled;
      after = page.next;
      const kept = await db
        .updateTable('cancel_jobs')
        .set({ cancelled, cursor_created: after.created, cursor_id: after.cardInstanceId, locked_until: Date.now() + options.leaseMs })
        .where('id', '=', job.id)
        .where('locked_by', '=', owner)
        .executeTakeFirst();
      if (Number(kept.numUpdatedRows) === 0) return; // the lease was lost: another server goes on
      // SQLite's calls are synchronous: without a turn of the event loop between pages, no
      // request (on the server's thread) or stop message (on the worker) would get in.
      await new Promise((resolve) => setImmediate(resolve));
      await context.nextPage?.();
    }
    if (stopping()) {
      // Released at once, so the next server (or this one restarted) goes on from here.
      await db.updateTable('cancel_jobs').set({ locked_until: 0 }).where('id', '=', job.id).where('locked_by', '=', owner).execute();
      return;
    }
    await finish(db, owner, job.id, 'completed', null);
  } catch (err) {
    await finish(db, owner, job.id, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function finish(db: Kysely<Database>, owner: string, id: string, status: CancelJobStatus, error: string | null): Promise<void> {
  await db
    .updateTable('cancel_jobs')
    .set({ status, error, finished: Date.now(), locked_by: null, locked_until: null })
    .where('id', '=', id)
    .where('locked_by', '=', owner)
    .execute();
}
