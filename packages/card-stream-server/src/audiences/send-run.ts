// Running one claimed send job (send-jobs.ts claims it): its snapshot of the members, then
// a page of them per transaction, each member claimed in the transaction that makes their
// card, so whatever stops the job (a restart, kill -9, another server taking it over) every
// member gets exactly one card. Runs on the job worker (job-worker/thread.ts), whose pages
// stop no request: on the server's thread each page held every request and socket for as
// long as it built its cards (bench/audiences.ts); in memory, on the server's thread. Either
// way through a CardRepository, so the cards reach their members' sockets.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AudienceFilter, AudienceTarget } from '../../../protocol/src/audiences.js';
import type { EventSource } from '../../../protocol/src/cards.js';
import type { Flow } from '../../../protocol/src/flows.js';
import type { Database, SendJobsTable } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import { sendEventsRow, sentEventTemplate, type EventRow } from '../analytics/platform-events.js';
import { jobPageHolds, jobPageRows } from '../analytics/job-page-events.js';
import type { EventTemplate } from '../analytics/event-contexts.js';
import type { CardRow } from '../cards/row.js';
import type { CardRepository } from '../cards/repository.js';
import { flowCard, prepareFlow, type PreparedFlow } from '../flows/flow-cards.js';
import type { TemplateRepository, TemplateVersion } from '../templates/repository.js';
import { profileMatches } from './filter.js';
import { finishLeasedJob, nextPageSize, releaseLeasedJob } from '../store/leased-jobs.js';
import type { SegmentRepository } from './segments.js';

export interface SendJobOptions {
  /** The most members per transaction. */
  pageSize: number;
  /** How long one page should take: it holds SQLite's writer that long (and, on the server's thread, every request). */
  pageMs: number;
  /** How long a server holds a running job without renewing it. */
  leaseMs: number;
  /** How often idle servers look for jobs (other servers' too). */
  pollMs: number;
}

export interface SendRunContext {
  db: Kysely<Database>;
  kind: StoreKind;
  cards: CardRepository;
  templates: TemplateRepository;
  segments: SegmentRepository;
  /** This server's id: who holds the lease. */
  owner: string;
  options: SendJobOptions;
  /** True once the server is stopping: the job is left, lease released, after this page. */
  stopping: () => boolean;
  /** Resolves when the next page may start (on a SQLite file the worker waits for the server's writes). */
  nextPage?: () => Promise<void>;
}

/**
 * A run of pages over the members from after `after` up to `upTo` (the last if none).
 * Members are claimed in user id order; `after`, the last one a committed page claimed,
 * keeps each page an index seek instead of a walk past the entries of members already sent
 * (on PostgreSQL they stay in the index until a vacuum). After a restart it starts at the
 * beginning again: whom a page before the crash sent is no longer listed.
 */
interface Lane {
  after: string;
  upTo?: string;
}

/** Thrown inside a page's transaction to undo it: another server holds the job now. */
class LeaseLost extends Error {}

/** Members a job has left at least, to send them in two lanes (PostgreSQL). */
const LANE_MIN_MEMBERS = 20_000;

/** How many profiles one step of a snapshot looks at (one short transaction). */
const SNAPSHOT_RANGE = 10_000;

export class SendJobRunner {
  private readonly db: Kysely<Database>;
  private readonly kind: StoreKind;
  private readonly cards: CardRepository;
  private readonly templates: TemplateRepository;
  private readonly segments: SegmentRepository;
  private readonly owner: string;
  private readonly options: SendJobOptions;

  constructor(private readonly context: SendRunContext) {
    ({ db: this.db, kind: this.kind, cards: this.cards, templates: this.templates, segments: this.segments, owner: this.owner, options: this.options } = context);
  }

  /** Runs `job` until it is done (then completed), the server stops (then released) or another server holds it. A job that fails is marked failed. */
  async run(job: SendJobsTable): Promise<void> {
    try {
      await this.runJob(job);
    } catch (err) {
      await finishLeasedJob(this.db, 'send_jobs', this.owner, job.id, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private async runJob(job: SendJobsTable): Promise<void> {
    const flows = JSON.parse(job.flows) as Flow[];
    if (job.matched === null && !(await this.snapshot(job, flows))) return this.release(job);
    const template = await this.templates.versionAt(job.template_id, job.template_version);
    const ends = await Promise.all((await this.lanes(job)).map((lane) => this.sendLane(job, template, flows, lane)));
    if (ends.includes('lost')) return; // another server goes on
    if (this.context.stopping()) return this.release(job);
    await this.reclaimMembers();
    await finishLeasedJob(this.db, 'send_jobs', this.owner, job.id, 'completed', null);
  }

  /**
   * Between two pages (or two ranges of a snapshot). SQLite's calls are synchronous: without
   * a turn of the event loop no request (on the server's thread) or message (on the worker)
   * would get in. On the worker, the next page also waits for the server's writes.
   */
  private async betweenPages(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.context.nextPage?.();
  }

  /**
   * PostgreSQL: the job's snapshot, every member's row now deleted, is given back. A deleted
   * row stays in the table and its index until a vacuum (autovacuum may be off, or late),
   * and a vacuum leaves the index's pages to the index: a million-member job left about 160
   * bytes a member. When no job has a member left the table is emptied (its files with it),
   * under a lock that holds off a snapshot meanwhile; otherwise it is vacuumed, outside a
   * transaction. (SQLite reuses the pages of deleted rows at once.) A failure only leaves
   * the space to autovacuum.
   */
  private async reclaimMembers(): Promise<void> {
    if (this.kind !== 'postgres') return;
    const emptied = await this.db
      .transaction()
      .execute(async (tx) => {
        await sql`lock table send_job_members in access exclusive mode`.execute(tx);
        if (await tx.selectFrom('send_job_members').select('job_id').limit(1).executeTakeFirst()) return false;
        await sql`truncate send_job_members`.execute(tx);
        return true;
      })
      .catch(() => false);
    if (!emptied) await sql`vacuum send_job_members`.execute(this.db).catch(() => undefined);
  }

  /**
   * The job's members split into ranges of user ids, each sent by its own run of pages
   * (sendLane). On PostgreSQL two pages at once keep two of its backends busy: a page is
   * mostly the store's work, and pages of disjoint members lock nothing in common until
   * their last statement (the job's row). On SQLite, with its one writer, one range.
   */
  private async lanes(job: SendJobsTable): Promise<Lane[]> {
    if (this.kind !== 'postgres') return [{ after: '' }];
    const left = await this.db.selectFrom('send_job_members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('job_id', '=', job.id).executeTakeFirstOrThrow();
    if (Number(left.n) < LANE_MIN_MEMBERS) return [{ after: '' }];
    const middle = await this.db
      .selectFrom('send_job_members')
      .select('user_id')
      .where('job_id', '=', job.id)
      .orderBy('user_id')
      .offset(Math.floor(Number(left.n) / 2))
      .limit(1)
      .executeTakeFirst();
    return middle ? [{ after: '', upTo: middle.user_id }, { after: middle.user_id }] : [{ after: '' }];
  }

  /** Sends the members of `lane` a page at a time; how it ended. */
  private async sendLane(job: SendJobsTable, template: TemplateVersion, flows: Flow[], lane: Lane): Promise<'done' | 'lost' | 'stopped'> {
    let size = Math.min(100, this.options.pageSize);
    while (!this.context.stopping()) {
      const started = performance.now();
      const passed = await this.sendPage(job, template, flows, size, lane);
      size = nextPageSize(size, performance.now() - started, this.options);
      if (passed === undefined) return 'lost';
      if (passed === 0) return 'done';
      await this.betweenPages();
    }
    return 'stopped';
  }

  /** Lets another server (or this one, started again) take the job at once. */
  private release(job: SendJobsTable): Promise<void> {
    return releaseLeasedJob(this.db, 'send_jobs', this.owner, job.id);
  }


  /**
   * Writes down the job's members, each with the first flow reaching them: the profiles made
   * before the job that its targets match. Audiences are walked a range of profiles at a time
   * (SNAPSHOT_RANGE, each its own short transaction that also renews the lease), so a million
   * members never hold the store's writer for long. A snapshot cut short (a crash, a stop) is
   * done again from the start; what it already wrote stays and is not written twice.
   * Returns false when it was cut short.
   */
  private async snapshot(job: SendJobsTable, flows: Flow[]): Promise<boolean> {
    for (const [index, flow] of flows.entries()) {
      const target = flow.target;
      if (target.type === 'user') {
        for (let from = 0; from < target.targetUserIds.length; from += 1000) {
          const rows = target.targetUserIds.slice(from, from + 1000).map((userId) => ({ job_id: job.id, user_id: userId, flow: index }));
          if (!(await this.snapshotPart(job, (tx) => tx.insertInto('send_job_members').values(rows).onConflict((oc) => oc.doNothing()).execute()))) return false;
        }
        continue;
      }
      const matches = profileMatches(await this.filterOf(target), this.kind, sql.ref('p.user_id'));
      for (let after = ''; ; ) {
        const bound = await sql<{ user_id: string }>`select user_id from user_profiles where user_id > ${after} order by user_id limit 1 offset ${SNAPSHOT_RANGE - 1}`.execute(this.db);
        const upTo = bound.rows[0]?.user_id;
        const range = upTo === undefined ? sql`p.user_id > ${after}` : sql`p.user_id > ${after} and p.user_id <= ${upTo}`;
        const members = sql`select ${job.id}, p.user_id, ${index} from user_profiles p where ${range} and p.created <= ${job.created} and ${matches}`;
        const added = await this.snapshotPart(job, async (tx) => {
          // PostgreSQL would test each condition of the range's profiles by hashing every
          // row of the attribute (or tag) it names: a scan of the whole table per range of
          // 10,000, so a million members read it a hundred times (a 10,000-profile range of
          // 200,000: 121 ms that way, 26 ms looking each profile up in the key's index).
          if (this.kind === 'postgres') await sql`select set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`.execute(tx);
          await sql`insert into send_job_members (job_id, user_id, flow) ${members} on conflict do nothing`.execute(tx);
        });
        if (!added) return false;
        if (upTo === undefined) break;
        after = upTo;
        await this.betweenPages();
        if (this.context.stopping()) return false;
      }
    }
    // PostgreSQL plans the pages from the table's statistics: without fresh ones it takes a
    // million new members for a handful and sorts them all for every page.
    if (this.kind === 'postgres') await sql`analyze send_job_members`.execute(this.db);
    await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('send_job_members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('job_id', '=', job.id).executeTakeFirstOrThrow();
      await tx.updateTable('send_jobs').set({ matched: Number(row.n) }).where('id', '=', job.id).execute();
    });
    return true;
  }

  /** Adds members to the snapshot (`insert`), renewing the lease in the same transaction; false once the lease is lost. */
  private async snapshotPart(job: SendJobsTable, insert: (tx: Transaction<Database>) => Promise<unknown>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      if (!(await this.renew(tx, job))) return false;
      await insert(tx);
      return true;
    });
  }

  /** Renews this server's lease on the job within `tx`, counting `sent` more cards sent; false when it is no longer this server's. */
  private async renew(tx: Transaction<Database>, job: SendJobsTable, sent = 0): Promise<boolean> {
    const kept = await tx
      .updateTable('send_jobs')
      .set((eb) => ({ locked_until: Date.now() + this.options.leaseMs, sent: eb('sent', '+', sent) }))
      .where('id', '=', job.id)
      .where('locked_by', '=', this.owner)
      .executeTakeFirst();
    return Number(kept.numUpdatedRows) > 0;
  }

  /** The filter an audience target stands for. */
  private async filterOf(target: AudienceTarget): Promise<AudienceFilter> {
    switch (target.type) {
      case 'all':
        return {};
      case 'tag': {
        const conditions = target.tags.map((tag) => ({ tag }));
        return target.match === 'all' ? { all: conditions } : { any: conditions };
      }
      case 'segment':
        return (await this.segments.get(target.segmentId)).filter;
      case 'filter':
        return target.filter;
    }
  }

  /** Sends the next `size` members of `lane` their cards; how many members it went past (0: none are left), or undefined when the lease was lost. */
  private async sendPage(job: SendJobsTable, template: TemplateVersion, flows: Flow[], size: number, lane: Lane): Promise<number | undefined> {
    const source = job.event_source as EventSource;
    let pageEnd = lane.after;
    const passed = await this.cards.write(async (tx, _record, logged) => {
      // The page is a range of user ids in the store's own order (its collation): up to the
      // size-th member left, or, with fewer left, to the lane's end. Its end is where the next
      // page begins.
      let left = tx.selectFrom('send_job_members').select('user_id').where('job_id', '=', job.id).where('user_id', '>', lane.after);
      if (lane.upTo !== undefined) left = left.where('user_id', '<=', lane.upTo);
      const bound = await left.orderBy('user_id').offset(size - 1).limit(1).executeTakeFirst();
      const last = bound?.user_id ?? lane.upTo;
      // Claimed by taking them off the list in this transaction: a page that does not commit
      // claimed nobody, and a member still listed has no card. (Deleting also writes less
      // than marking: on PostgreSQL an update is a new row version in the table and its index.)
      let claim = tx.deleteFrom('send_job_members').where('job_id', '=', job.id).where('user_id', '>', lane.after);
      if (last !== undefined) claim = claim.where('user_id', '<=', last);
      const claimed = await claim.returning(['user_id', 'flow']).execute();
      if (claimed.length === 0 && !bound) return 0;
      pageEnd = last ?? lane.after;
      // Never before the job's cards_from (a server whose clock is behind): its cards are found from there (cards/filter.ts).
      const now = Math.max(Date.now(), Number(job.cards_from));
      // The cards of one flow in a page are made alike, so they share their event's template.
      const prepared = new Map<number, { flow: PreparedFlow; events?: EventTemplate }>();
      const rows: CardRow[] = [];
      const events: EventRow[] = [];
      for (const { user_id, flow } of claimed) {
        let ready = prepared.get(flow);
        if (!ready) prepared.set(flow, (ready = { flow: prepareFlow(template, flows[flow] as Flow, flow, now) }));
        const card = flowCard(ready.flow, job.flow_invocation_id, source, user_id);
        card.sent_by_job = 1;
        rows.push(card);
        events.push(sendEventsRow(card, now, (ready.events ??= sentEventTemplate(card, now))));
      }
      const contents = [...prepared.values()].map((p) => p.flow.content);
      // Their events (three a card, as a send to listed users records) as a row or a few when they are alike but for their cards (analytics/job-page-events.ts).
      const pageRows = jobPageRows(rows, events, { invocation: job.flow_invocation_id, after: lane.after, last: last ?? null });
      await this.cards.insertIn(tx, logged, rows, contents, pageRows ? [] : events);
      if (pageRows) await this.cards.insertEventsIn(tx, (await jobPageHolds(tx, pageRows, rows.length)) ? pageRows : events);
      // The lease is renewed last, so the job's row is locked only from here to the commit
      // (pages of two lanes overlap up to it). Lost, the page is undone.
      if (!(await this.renew(tx, job, claimed.length))) throw new LeaseLost();
      return bound ? size : claimed.length;
    }).catch((err: unknown) => {
      if (err instanceof LeaseLost) return undefined;
      throw err;
    });
    // Moved on only once the page committed.
    lane.after = pageEnd;
    return passed;
  }

}
