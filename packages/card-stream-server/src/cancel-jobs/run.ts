// Running one claimed bulk cancel job: a page of cards per transaction, its progress and
// lease stored in every page's transaction, so a job whose server stopped is picked up
// again (by any server) where it left off. Runs on the server's thread or on the SQLite worker
// (job-worker/thread.ts); either way through a CardRepository, so the changes reach the sockets.
import type { Kysely, Transaction } from 'kysely';
import type { Database, CancelJobsTable } from '../store/schema.js';
import type { CancelledPage, CancelRange, CardPosition, CardRepository } from '../cards/repository.js';
import { filterConditions, resolveFilter, type CardFilter } from '../cards/filter.js';
import { OPEN_STATES } from '../../../protocol/src/cards.js';
import { finishLeasedJob, nextPageSize, releaseLeasedJob } from '../store/leased-jobs.js';

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
  /**
   * Pages in flight at once where the store takes concurrent writes (PostgreSQL). Each
   * waits on the database most of its time, and one at a time left a 2-core machine half
   * idle; more than the cores only queue on them (measured in bench/cancel.ts).
   */
  parallelPages: number;
  /**
   * Passes over each range of `passes` pages, one at a time, each its own transaction taking
   * an even share of the range's cards (every n-th of those still open): each table page
   * then sees only that share of its cards change in one transaction, and PostgreSQL can
   * keep the new row versions on the same page in the room a page keeps free (the cards'
   * fill factor, store/migrations.ts 024), reclaiming the last pass's old versions as it
   * goes. A range in one transaction would need room for all its rows at once: half of
   * every page. 1: pages of consecutive cards (SQLite has no such room to keep).
   */
  passes: number;
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
  /** Pages in flight at once: 1 (the default) on SQLite, whose one connection writes one at a time. */
  parallel?: number;
}

/** Open cards matching `criteria`, at most `maxCards`: what a job made now would cancel. */
export async function countCancellable(db: Kysely<Database>, query: CardFilter, maxCards: number): Promise<number> {
  const criteria = await resolveFilter(db, query);
  const row = await db
    .selectFrom((eb) =>
      eb.selectFrom('cards').select('card_instance_id').where((w) => filterConditions(w, criteria, OPEN_STATES)).limit(maxCards).as('m'),
    )
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Thrown inside a page's transaction when another server holds the job now: the page is undone. */
class LeaseLost extends Error {}

/** A page handed out: its range and, once known, where it ends; done once committed. */
interface Page {
  range: CancelRange;
  /** The position the stored cursor may move to once this page and all before it are done. */
  end: CardPosition | undefined;
  done: boolean;
}

/**
 * One claimed job on its way. Pages cancel cards in (created, card_instance_id) order. Alone
 * (`parallel` 1), each takes the next `size` open cards after the last; with `passes` (on
 * PostgreSQL), a range of `passes` times that is bounded first and each pass takes an even
 * share of it (CancelRunOptions). Side by side (on
 * PostgreSQL, where writes run concurrently and a page waits on the database, not on this
 * thread), each is first bounded at both ends (`cancelPageEnd`), so the pages in flight cover
 * disjoint ranges. Every page's transaction also records the job's progress: its count,
 * the lease, and the cursor — the end of the pages done in order, which with pages side by
 * side may lag the newest by a page or two; a job taken over goes on from there, and the
 * cards already cancelled after it are no longer open, so none is cancelled twice.
 */
class CancelRun {
  private readonly criteria: CardFilter;
  private cancelled: number;
  /** Where the next page starts: the end of the last one handed out. */
  private planned: CardPosition | undefined;
  /** Pages handed out and not yet under the stored cursor, in order. */
  private readonly pages: Page[] = [];
  /** Cards the pages in flight may cancel at most. */
  private reserved = 0;
  private size: number;
  private exhausted = false;
  private failure: unknown;

  constructor(
    private readonly context: CancelRunContext,
    private readonly job: CancelJobsTable,
  ) {
    this.criteria = JSON.parse(job.criteria) as CardFilter;
    this.cancelled = Number(job.cancelled);
    this.planned = job.cursor_id === null ? undefined : { created: Number(job.cursor_created), cardInstanceId: job.cursor_id };
    this.size = Math.min(100, context.options.pageSize);
  }

  /** Runs pages until no card is left, the cap is reached, the server stops or the lease is lost. */
  async run(): Promise<'completed' | 'left' | 'lost'> {
    const { stopping, options } = this.context;
    const parallel = Math.max(1, this.context.parallel ?? 1);
    const inFlight = new Set<Promise<void>>();
    try {
      while (!stopping() && !this.exhausted && this.failure === undefined) {
        const room = options.maxCards - this.cancelled - this.reserved;
        if (inFlight.size >= parallel || (room <= 0 && inFlight.size > 0)) {
          await Promise.race(inFlight);
          continue;
        }
        if (room <= 0) break;
        const limit = Math.min(this.size, room);
        // A range for passes spans `passes` pages. (Passes are for pages one at a time, as
        // PostgreSQL runs them by default: side by side, each range is one page.)
        const passes = parallel === 1 ? Math.max(1, options.passes) : 1;
        const span = Math.min(limit * passes, room);
        // Side by side, or for passes, a page is bounded before it starts: the next can start
        // after it, and each pass covers the same cards. With fewer than that left, the rest
        // goes in open-ended pages.
        const upTo = parallel > 1 || passes > 1 ? await this.context.cards.cancelPageEnd(this.criteria, this.planned, span) : undefined;
        const inPasses = passes > 1 && upTo !== undefined;
        const page: Page = { range: { after: this.planned, upTo, limit: inPasses ? span : limit }, end: upTo, done: false };
        this.pages.push(page);
        this.reserved += page.range.limit;
        const running = this.runPage(page, inPasses ? passes : 1).finally(() => inFlight.delete(running));
        inFlight.add(running);
        // Open-ended (alone without passes, or fewer cards were left than it would bound):
        // where it ends is known only once it has run.
        if (upTo) this.planned = upTo;
        else await running;
        // SQLite's calls are synchronous: without a turn of the event loop between pages, no
        // request (on the server's thread) or stop message (on the worker) would get in.
        await new Promise((resolve) => setImmediate(resolve));
        await this.context.nextPage?.();
      }
    } catch (err) {
      this.failure ??= err; // finding a page's end failed: the pages in flight settle first
    }
    await Promise.all(inFlight);
    if (this.failure instanceof LeaseLost) return 'lost';
    if (this.failure !== undefined) throw this.failure;
    return this.exhausted || this.cancelled >= options.maxCards ? 'completed' : 'left';
  }

  /** Runs `page` in `passes` transactions (each taking every n-th card still open in it; the last, all that are left). */
  private async runPage(page: Page, passes: number): Promise<void> {
    try {
      let done: CancelledPage = { cancelled: 0, next: undefined };
      let took = 0;
      for (let pass = 0; pass < passes; pass++) {
        // A server stopping leaves the range between passes: the stored cursor is still at
        // its start, and whoever goes on takes what is left open in it.
        if (pass > 0 && this.context.stopping()) return;
        const last = pass === passes - 1;
        const range = passes === 1 ? page.range : { ...page.range, stride: passes - pass };
        const started = performance.now();
        done = await this.context.cards.cancelPage(this.criteria, range, (tx, cancelled) => this.recordProgress(tx, page, cancelled, last));
        took += performance.now() - started;
        this.cancelled += done.cancelled;
      }
      this.size = nextPageSize(this.size, took / passes, this.context.options);
      page.done = true;
      // An open-ended page that found nothing: no open card is left after where it started.
      if (!page.range.upTo) {
        if (done.next) this.planned = done.next;
        else this.exhausted = true;
      }
      while (this.pages[0]?.done) this.pages.shift();
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.reserved -= page.range.limit;
    }
  }

  /**
   * Inside a transaction of `page`: counts its cards, renews the lease and, once the page's
   * `last` transaction commits, moves the cursor; undoes the transaction if the lease is gone.
   */
  private async recordProgress(tx: Transaction<Database>, page: Page, done: CancelledPage, last: boolean): Promise<void> {
    if (!page.range.upTo) page.end = done.next ?? page.range.after;
    const cursor = last ? this.cursorOnceCommitted(page) : undefined;
    const kept = await tx
      .updateTable('cancel_jobs')
      .set((eb) => ({
        cancelled: eb('cancelled', '+', done.cancelled),
        locked_until: Date.now() + this.context.options.leaseMs,
        ...(cursor ? { cursor_created: cursor.created, cursor_id: cursor.cardInstanceId } : {}),
      }))
      .where('id', '=', this.job.id)
      .where('locked_by', '=', this.context.owner)
      .executeTakeFirst();
    if (Number(kept.numUpdatedRows) === 0) throw new LeaseLost(`cancel job ${this.job.id} is held by another server now`);
  }

  /** The end of the pages done in order, `page` counted as done: where the job goes on from if this is the last commit. */
  private cursorOnceCommitted(page: Page): CardPosition | undefined {
    let cursor: CardPosition | undefined;
    for (const p of this.pages) {
      if (p !== page && !p.done) break;
      cursor = p.end ?? cursor;
    }
    return cursor;
  }
}

/** Runs `job`, claimed by `owner`, until it is done, the lease is lost or the server stops. */
export async function runCancelJob(context: CancelRunContext, job: CancelJobsTable): Promise<void> {
  const { db, owner } = context;
  let outcome: Awaited<ReturnType<CancelRun['run']>>;
  try {
    outcome = await new CancelRun(context, job).run();
  } catch (err) {
    await finishLeasedJob(db, 'cancel_jobs', owner, job.id, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  }
  if (outcome === 'completed') await finishLeasedJob(db, 'cancel_jobs', owner, job.id, 'completed', null);
  // Released at once, so the next server (or this one restarted) goes on from the cursor.
  else if (outcome === 'left') await releaseLeasedJob(db, 'cancel_jobs', owner, job.id);
}

