// Webhook subscriptions and their delivery state (CONTRACT §7). Each webhook row is also
// its own delivery cursor and lease: the dispatcher of any server may deliver it, but only
// the one whose guarded UPDATE took the lease, and every change of cursor is guarded on
// holding it, so one batch is never delivered by two servers at once.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, WebhooksTable } from '../store/schema.js';
import { iso } from '../time.js';
import { eventNameIs, newestSeq, readEvents, type StoredEvent } from '../analytics/events-query.js';
import type { EventContexts } from '../analytics/event-contexts.js';
import { ALL_EVENTS, MAX_DELIVERY_EVENTS, type Webhook, type WebhookInput, type WebhookStatus } from '../../../protocol/src/webhooks.js';
import { InvalidInput } from '../errors.js';
import { checkDestination, ForbiddenDestination, type OutboundPolicy } from './outbound.js';

export type WebhookRow = WebhooksTable;

const toWebhook = (row: WebhookRow): Webhook => ({ id: row.id, url: row.url, events: JSON.parse(row.events) as string[], created: iso(row.created) });

export class WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly contexts: EventContexts,
    /** Where webhooks may send (outbound.ts). */
    private readonly policy: OutboundPolicy,
  ) {}

  /** A new webhook receives the events stored after it was created. */
  async create({ url, events, secret }: WebhookInput): Promise<Webhook> {
    await checkUrl(url, this.policy);
    const names = events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)];
    const row: WebhookRow = {
      id: randomUUID(),
      url,
      events: JSON.stringify(names),
      secret,
      created: Date.now(),
      last_seq: await newestSeq(this.db),
      batch_end_seq: null,
      failing_since: null,
      attempts: 0,
      next_attempt_at: 0,
      last_error: null,
      locked_until: 0,
      lock_owner: null,
    };
    await this.db.insertInto('webhooks').values(row).execute();
    return toWebhook(row);
  }

  async list(): Promise<WebhookStatus[]> {
    const rows = await this.db
      .selectFrom('webhooks as w')
      .selectAll('w')
      .select((eb) =>
        eb
          .selectFrom('webhook_failed_batches as f')
          .select((f) => f.fn.countAll<number | string>().as('n'))
          .whereRef('f.webhook_id', '=', 'w.id')
          .as('failed_batches'),
      )
      .orderBy('w.created')
      .orderBy('w.id')
      .execute();
    return rows.map((row) => ({
      ...toWebhook(row),
      ...(row.failing_since !== null ? { failingSince: iso(row.failing_since) } : {}),
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
      failedBatches: Number(row.failed_batches ?? 0),
    }));
  }

  /** Deletes the webhook and (by cascade) its failed batches; a delivery under way finds
   * its lease gone and stops. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** The batches given up on, oldest first. */
  async failedBatches(id: string) {
    return this.db.selectFrom('webhook_failed_batches').selectAll().where('webhook_id', '=', id).orderBy('first_seq').execute();
  }

  /** Webhooks no server holds whose next attempt is due. */
  async due(now: number): Promise<WebhookRow[]> {
    return this.db.selectFrom('webhooks').selectAll().where('next_attempt_at', '<=', now).where('locked_until', '<=', now).execute();
  }

  /** The next batch of `hook`: the batch being retried, else up to MAX_DELIVERY_EVENTS of its events
   * after its cursor and at most `horizon`. */
  async batch(hook: WebhookRow, horizon: number): Promise<StoredEvent[]> {
    const names = JSON.parse(hook.events) as string[];
    const all = names.includes(ALL_EVENTS);
    return readEvents(this.db, this.contexts, {
      after: Number(hook.last_seq),
      end: Number(hook.batch_end_seq ?? horizon),
      limit: MAX_DELIVERY_EVENTS,
      ...(all ? {} : { where: (eb) => eventNameIs(eb, names), names }),
    });
  }

  /** Takes the lease on `hook` for `owner` unless another server holds it, or has moved its
   * cursor or put off its next attempt since `hook` was read. */
  async acquire(hook: WebhookRow, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({ locked_until: now + leaseMs, lock_owner: owner })
      .where('id', '=', hook.id)
      .where('locked_until', '<=', now)
      .where('next_attempt_at', '<=', now)
      .where('last_seq', '=', hook.last_seq)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async renew(id: string, owner: string, until: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({ locked_until: until })
      .where('id', '=', id)
      .where('lock_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Frees every lease not held by one of `owners` (on a store this process holds alone). */
  async releaseAllBut(owners: string[]): Promise<void> {
    let query = this.db.updateTable('webhooks').set({ locked_until: 0, lock_owner: null }).where('lock_owner', 'is not', null);
    if (owners.length) query = query.where('lock_owner', 'not in', owners);
    await query.execute();
  }

  async release(id: string, owner: string): Promise<void> {
    await this.db.updateTable('webhooks').set({ locked_until: 0, lock_owner: null }).where('id', '=', id).where('lock_owner', '=', owner).execute();
  }

  /** Moves the cursor past a delivered batch and clears any failure. False when the lease was lost. */
  async delivered(hook: WebhookRow, owner: string, lastSeq: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({ last_seq: lastSeq, batch_end_seq: null, failing_since: null, attempts: 0, next_attempt_at: 0, last_error: null })
      .where('id', '=', hook.id)
      .where('lock_owner', '=', owner)
      .where('last_seq', '=', hook.last_seq)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Keeps a failed batch for a retry at `nextAttemptAt`. */
  async retryLater(hook: WebhookRow, owner: string, failure: { batchEndSeq: number; failingSince: number; nextAttemptAt: number; error: string }): Promise<void> {
    await this.db
      .updateTable('webhooks')
      .set({
        batch_end_seq: failure.batchEndSeq,
        failing_since: failure.failingSince,
        attempts: sql<number>`attempts + 1`,
        next_attempt_at: failure.nextAttemptAt,
        last_error: failure.error,
      })
      .where('id', '=', hook.id)
      .where('lock_owner', '=', owner)
      .where('last_seq', '=', hook.last_seq)
      .execute();
  }

  /** Records `batch` as failed (with its last error) and moves the cursor past it, in one
   * transaction. */
  async giveUp(hook: WebhookRow, owner: string, batch: StoredEvent[], failingSince: number, error: string): Promise<boolean> {
    const first = batch[0];
    const last = batch.at(-1);
    if (!first || !last) return false;
    return this.db.transaction().execute(async (tx) => {
      const moved = await tx
        .updateTable('webhooks')
        .set({ last_seq: last.seq, batch_end_seq: null, failing_since: null, attempts: 0, next_attempt_at: 0, last_error: null })
        .where('id', '=', hook.id)
        .where('lock_owner', '=', owner)
        .where('last_seq', '=', hook.last_seq)
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return false;
      await tx
        .insertInto('webhook_failed_batches')
        .values({
          webhook_id: hook.id,
          first_seq: first.seq,
          last_seq: last.seq,
          event_count: batch.length,
          first_failure: failingSince,
          failed_at: Date.now(),
          last_error: error,
        })
        .execute();
      return true;
    });
  }
}

async function checkUrl(text: string, policy: OutboundPolicy): Promise<void> {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidInput('invalid_url', `url must be an absolute http:// or https:// URL; it was "${text}".`, 'url');
  }
  try {
    await checkDestination(url, policy);
  } catch (err) {
    if (!(err instanceof ForbiddenDestination)) throw err;
    throw new InvalidInput(
      'webhook_url_not_allowed',
      `Webhooks may not send to loopback, private, link-local or metadata addresses: ${err.message} (an operator can allow them with WEBHOOK_ALLOW_PRIVATE=1).`,
      'url',
    );
  }
}
