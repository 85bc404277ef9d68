// Sends to audiences (CONTRACT §9): a request whose flows target tags, a segment, a filter or
// everyone is checked at once and answered 202; a job then sends in the background. It
// snapshots the members once (those at its start, each taken from the first flow that
// reaches them), then sends a page of them per transaction: each member is claimed in the
// transaction that makes their card, so whatever stops the job (a restart, kill -9, another
// server taking it over) every member gets exactly one card. A job survives restarts: it is
// held under a lease renewed every page, and claimed again when the lease runs out.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AudienceFilter, AudienceTarget, SendJob, SendJobAccepted, SendJobStatus } from '../../../protocol/src/audiences.js';
import type { CardStatus, EventSource } from '../../../protocol/src/cards.js';
import type { Flow } from '../../../protocol/src/flows.js';
import type { Database, SendJobsTable } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import type { AlsoRecord } from '../store/also-record.js';
import { timeOrderedId } from '../ids.js';
import { NotFound } from '../errors.js';
import { iso } from '../time.js';
import { sendEventsRow, sentEventTemplate, type EventRow } from '../analytics/platform-events.js';
import { jobPageHolds, jobPageRows } from '../analytics/job-page-events.js';
import type { EventTemplate } from '../analytics/event-contexts.js';
import type { CardRow } from '../cards/row.js';
import type { CardRepository } from '../cards/repository.js';
import { nextPageSize } from '../cancel-jobs/run.js';
import type { FlowSender } from '../flows/sender.js';
import { flowCard, prepareFlow, type PreparedFlow } from '../flows/flow-cards.js';
import type { TemplateRepository, TemplateVersion } from '../templates/repository.js';
import { checkFilter, profileMatches } from './filter.js';
import type { SegmentRepository } from './segments.js';
import { claimLeasedJob, freeCrashedLeases, JobPoller } from '../store/leased-jobs.js';

export interface SendJobOptions {
  /** The most members per transaction. */
  pageSize: number;
  /** How long one page should take: it holds SQLite's writer (and the server's thread) that long. */
  pageMs: number;
  /** How long a server holds a running job without renewing it. */
  leaseMs: number;
  /** How often idle servers look for jobs (other servers' too). */
  pollMs: number;
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

/**
 * On SQLite a page runs on the server's thread and every request waits for the page in
 * progress; sizes adapt to land between half the target and the target, overshooting up to
 * about twice it. At 40 ms the SDK feed's p99 during a 1,000,000-member send was 104-107 ms
 * in 4 of 5 runs; at 30 ms, 71 and 83 ms, the send no slower beyond this machine's noise
 * (bench/audiences.ts).
 */
export const DEFAULT_SEND_JOB_OPTIONS: SendJobOptions = { pageSize: 5000, pageMs: 30, leaseMs: 15_000, pollMs: 1000 };

/**
 * The defaults on `kind`. On PostgreSQL a page stops no reader (and runs beside the
 * server's thread, not on it); it holds only its members' sequence rows. Longer pages there
 * mean fewer commits and statements per card: a 100,000-member send took 7.7 s at 200 ms
 * a page against 10.0 s at 40 ms, the API's p99 meanwhile under 65 ms both ways.
 */
export function defaultSendJobOptions(kind: StoreKind): SendJobOptions {
  return kind === 'postgres' ? { ...DEFAULT_SEND_JOB_OPTIONS, pageMs: 200 } : DEFAULT_SEND_JOB_OPTIONS;
}

const toJob = (row: SendJobsTable): SendJob => ({
  id: row.id,
  status: row.status as SendJobStatus,
  flowInvocationId: row.flow_invocation_id,
  matched: Number(row.matched ?? 0),
  sent: Number(row.sent),
  created: iso(Number(row.created)),
  finished: row.finished === null ? null : iso(Number(row.finished)),
});

/** Whether a flow reaches an audience (anything but listed users). */
export const isAudienceFlow = (flow: Flow): flow is Flow & { target: AudienceTarget } => flow.target.type !== 'user';

export class SendJobs {
  private readonly poller: JobPoller;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind,
    private readonly cards: CardRepository,
    private readonly templates: TemplateRepository,
    private readonly sender: FlowSender,
    private readonly segments: SegmentRepository,
    /** This server's id: who holds a lease. */
    private readonly owner: string,
    private readonly options: SendJobOptions,
    onError: (err: unknown) => void,
  ) {
    this.poller = new JobPoller(() => this.work(), options.pollMs, onError);
  }

  private get stopped(): boolean {
    return this.poller.stopped;
  }

  /** Checks the request as a send would (template, variables, options, segments, filters) and queues the job. */
  async create(templateId: string, flows: Flow[], source: EventSource, requestedBy: string, alsoRecord?: AlsoRecord<SendJobAccepted>): Promise<SendJobAccepted> {
    const template = await this.sender.templateFor(templateId, source);
    const now = Date.now();
    for (const [index, flow] of flows.entries()) {
      prepareFlow(template, flow, index, now);
      if (flow.target.type === 'segment') await this.segments.get(flow.target.segmentId);
      if (flow.target.type === 'filter') checkFilter(flow.target.filter, `flows[${index}].target.filter`);
    }
    const row: SendJobsTable = {
      id: randomUUID(),
      flow_invocation_id: timeOrderedId(),
      template_id: template.id,
      template_version: template.version,
      event_source: source,
      flows: JSON.stringify(flows),
      status: 'queued',
      matched: null,
      sent: 0,
      requested_by: requestedBy,
      created: now,
      cards_from: now,
      finished: null,
      error: null,
      locked_by: null,
      locked_until: null,
    };
    const accepted: SendJobAccepted = { flowInvocationId: row.flow_invocation_id, sendJobId: row.id, statusUrl: `/v1/send-jobs/${row.id}` };
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('send_jobs').values(row).execute();
      await alsoRecord?.(tx, accepted);
    });
    this.poller.kick();
    return accepted;
  }

  async get(id: string): Promise<SendJob> {
    const row = await this.db.selectFrom('send_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('send_job_not_found', `There is no send job ${id}.`);
    return toJob(row);
  }

  /** `soleServer`: this process holds the store alone, so a running job's lease is a crashed process's. */
  async start(soleServer = false): Promise<void> {
    if (soleServer) await freeCrashedLeases(this.db, 'send_jobs');
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  private async work(): Promise<void> {
    for (let job = await this.claim(); job && !this.stopped; job = await this.claim()) {
      try {
        await this.run(job);
      } catch (err) {
        await this.finish(job.id, 'failed', err instanceof Error ? err.message : String(err));
        throw err;
      }
    }
  }

  /** Takes the oldest job that is queued, or running under a lease that ran out. */
  private claim(): Promise<SendJobsTable | undefined> {
    return claimLeasedJob(this.db, 'send_jobs', this.owner, this.options.leaseMs);
  }

  private async run(job: SendJobsTable): Promise<void> {
    const flows = JSON.parse(job.flows) as Flow[];
    if (job.matched === null && !(await this.snapshot(job, flows))) return this.release(job);
    const template = await this.templates.versionAt(job.template_id, job.template_version);
    const ends = await Promise.all((await this.lanes(job)).map((lane) => this.sendLane(job, template, flows, lane)));
    if (ends.includes('lost')) return; // another server goes on
    if (this.stopped) return this.release(job);
    await this.reclaimMembers();
    await this.finish(job.id, 'completed', null);
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
    while (!this.stopped) {
      const started = performance.now();
      const passed = await this.sendPage(job, template, flows, size, lane);
      size = nextPageSize(size, performance.now() - started, this.options);
      if (passed === undefined) return 'lost';
      if (passed === 0) return 'done';
      // SQLite's calls are synchronous: without a turn of the event loop between pages no
      // request would get in.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return 'stopped';
  }

  /** Lets another server (or this one, started again) take the job at once. */
  private async release(job: SendJobsTable): Promise<void> {
    await this.db.updateTable('send_jobs').set({ locked_until: 0 }).where('id', '=', job.id).where('locked_by', '=', this.owner).execute();
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
        await new Promise((resolve) => setImmediate(resolve)); // requests get in between ranges
        if (this.stopped) return false;
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
    const passed = await this.cards.write(async (tx, record) => {
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
      await this.cards.insertIn(tx, record, rows, contents, pageRows ? [] : events);
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

  private async finish(id: string, status: SendJobStatus, error: string | null): Promise<void> {
    await this.db
      .updateTable('send_jobs')
      .set({ status, error, finished: Date.now(), locked_by: null, locked_until: null })
      .where('id', '=', id)
      .where('locked_by', '=', this.owner)
      .execute();
  }
}
