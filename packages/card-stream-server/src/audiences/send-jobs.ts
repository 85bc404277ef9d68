// Sends to audiences (CONTRACT §9): a request whose flows target tags, a segment, a filter or
// everyone is checked at once and answered 202; a job then sends in the background. It
// snapshots the members once (those at its start, each taken from the first flow that
// reaches them), then sends them a page per transaction (send-run.ts). A job survives
// restarts: it is held under a lease renewed every page, and claimed again when the lease
// runs out. Here jobs are made, claimed and handed to where they run: the job worker, or in
// memory this thread (services.ts).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AudienceTarget, SendJob, SendJobAccepted, SendJobStatus } from '../../../protocol/src/audiences.js';
import type { EventSource } from '../../../protocol/src/cards.js';
import type { Flow } from '../../../protocol/src/flows.js';
import type { Database, SendJobsTable } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import type { AlsoRecord } from '../store/also-record.js';
import { timeOrderedId } from '../ids.js';
import { NotFound } from '../errors.js';
import { iso } from '../time.js';
import type { FlowSender } from '../flows/sender.js';
import { prepareFlow } from '../flows/flow-cards.js';
import { checkFilter } from './filter.js';
import type { SegmentRepository } from './segments.js';
import { claimLeasedJob, freeCrashedLeases, JobPoller, type JobExecutor } from '../store/leased-jobs.js';
import { SendJobRunner, type SendJobOptions, type SendRunContext } from './send-run.js';

export type { SendJobOptions } from './send-run.js';

/**
 * On a SQLite file a job runs on the SQLite worker: reads go on beside its pages, and a
 * server write waits for the page in progress. Sizes adapt to land between half the target
 * and the target, overshooting up to about twice it: 30 ms keeps that wait well under
 * 100 ms, as for bulk cancels (cancel-jobs/jobs.ts). In memory a page runs on the server's
 * thread and every request waits for it.
 */
export const DEFAULT_SEND_JOB_OPTIONS: SendJobOptions = { pageSize: 5000, pageMs: 30, leaseMs: 15_000, pollMs: 1000 };

/**
 * The defaults on `kind`. On PostgreSQL a page stops no reader; it holds only its members'
 * sequence rows. Longer pages there
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

/** Runs claimed jobs on this thread (an in-memory store, whose one connection a thread cannot share), yielding between pages. */
export class InThreadSendExecutor implements JobExecutor<SendJobsTable> {
  private stopping = false;

  constructor(private readonly context: Omit<SendRunContext, 'stopping' | 'nextPage'>) {}

  async start(): Promise<void> {
    this.stopping = false;
  }

  run(job: SendJobsTable): Promise<void> {
    return new SendJobRunner({ ...this.context, stopping: () => this.stopping }).run(job);
  }

  async stop(): Promise<void> {
    this.stopping = true;
  }
}

export class SendJobs {
  private readonly poller: JobPoller;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sender: FlowSender,
    private readonly segments: SegmentRepository,
    /** Where claimed jobs run. */
    private readonly executor: JobExecutor<SendJobsTable>,
    /** This server's id: who holds a lease. */
    private readonly owner: string,
    private readonly options: SendJobOptions,
    onError: (err: unknown) => void,
  ) {
    this.poller = new JobPoller(() => this.work(), options.pollMs, onError);
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
    await this.executor.start();
    if (soleServer) await freeCrashedLeases(this.db, 'send_jobs');
    this.poller.start();
  }

  async stop(): Promise<void> {
    const stopping = this.poller.stop();
    await this.executor.stop();
    await stopping;
  }

  /** Runs claimable jobs one after another until none is left (a job that fails is marked so where it ran). */
  private async work(): Promise<void> {
    for (let job = await this.claim(); job && !this.poller.stopped; job = await this.claim()) await this.executor.run(job);
  }

  /** Takes the oldest job that is queued, or running under a lease that ran out. */
  private claim(): Promise<SendJobsTable | undefined> {
    return claimLeasedJob(this.db, 'send_jobs', this.owner, this.options.leaseMs);
  }
}
