// Delivers stored analytics events to webhooks (CONTRACT §7), from every server process.
// Each tick it reads how far events are settled (horizon.ts), then, for each due webhook
// with events waiting, takes its lease and POSTs batches of at most 100 until it is caught
// up or a batch fails. A failed batch is retried with exponential backoff (capped at
// maxBackoffMs) until retryForMs after its first failure, then recorded as failed and
// skipped. The cursor moves only after a 2xx, so a restart (or another server) resumes
// where delivery stopped: a batch can arrive twice, never zero times.
import type { EventHorizon } from '../analytics/horizon.js';
import type { StoredEvent } from '../analytics/events-query.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { ForbiddenDestination, postOutbound } from './outbound.js';
import type { WebhookRepository, WebhookRow } from './subscriptions.js';

export interface WebhookOptions {
  /** How often each server looks for new events and due retries. */
  pollMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** How long a batch is retried, from its first failure, before it is marked failed. */
  retryForMs: number;
  /** A delivery not answered within this counts as failed. */
  requestTimeoutMs: number;
  /** How long a lease lasts. It is renewed every third of that while a delivery is under
   * way, so a server that died (kill -9) leaves its webhooks to the others this soon. */
  leaseMs: number;
  /** WEBHOOK_ALLOW_PRIVATE=1: deliveries may go to internal addresses (outbound.ts). */
  allowPrivate: boolean;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  pollMs: 500,
  initialBackoffMs: 5_000,
  maxBackoffMs: 600_000,
  retryForMs: 24 * 3600_000,
  requestTimeoutMs: 10_000,
  leaseMs: 4_000,
  allowPrivate: false,
};

/** The wait before attempt `failures + 1`: initial, doubled each failure, capped. */
export function backoffMs(failures: number, options: Pick<WebhookOptions, 'initialBackoffMs' | 'maxBackoffMs'>): number {
  return Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

/** Dispatchers running in this process (tests build several servers in one). */
const runningDispatchers = new Set<string>();

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;
  private readonly inFlight = new Map<string, Promise<void>>();
  private abort = new AbortController();

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly horizon: EventHorizon,
    private readonly serverId: string,
    private readonly options: WebhookOptions,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * `soleServer`: this process holds the store alone (a SQLite directory), so a lease of a
   * server no longer running here is a crashed process's: freed at once, not after it runs out.
   */
  async start(soleServer = false): Promise<void> {
    this.stopped = false;
    this.abort = new AbortController();
    runningDispatchers.add(this.serverId);
    if (soleServer) await this.webhooks.releaseAllBut([...runningDispatchers]);
    this.schedule(0);
  }

  /** Stops polling, cancels requests under way (their batches stay undelivered) and frees leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    runningDispatchers.delete(this.serverId);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.ticking;
    await Promise.all(this.inFlight.values());
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch(this.onError)
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.options.pollMs);
        });
    }, delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const horizon = await this.horizon.advance();
    const now = Date.now();
    for (const hook of await this.webhooks.due(now)) {
      if (this.stopped) return;
      if (this.inFlight.has(hook.id)) continue;
      const batch = await this.webhooks.batch(hook, horizon);
      if (batch.length === 0) continue;
      if (!(await this.webhooks.acquire(hook, this.serverId, now, this.options.leaseMs))) continue;
      // Each webhook delivers on its own, so one slow receiver never holds up the others.
      const run = this.deliver(hook, batch, horizon)
        .catch(this.onError)
        .finally(async () => {
          await this.webhooks.release(hook.id, this.serverId).catch(this.onError);
          this.inFlight.delete(hook.id);
        });
      this.inFlight.set(hook.id, run);
    }
  }

  /** Sends `batch` and the ones after it until caught up, a failure, or stop. */
  private async deliver(hook: WebhookRow, first: StoredEvent[], horizon: number): Promise<void> {
    let current = hook;
    let batch = first;
    while (batch.length > 0 && !this.stopped) {
      const error = await this.whileHolding(current.id, this.post(current, batch));
      if (this.stopped) return;
      const lastSeq = (batch.at(-1) as StoredEvent).seq;
      if (error === undefined) {
        if (!(await this.webhooks.delivered(current, this.serverId, lastSeq))) return;
        current = { ...current, last_seq: lastSeq, batch_end_seq: null, failing_since: null, attempts: 0 };
      } else {
        await this.failed(current, batch, error);
        return;
      }
      if (!(await this.webhooks.renew(current.id, this.serverId, Date.now() + this.options.leaseMs))) return;
      batch = await this.webhooks.batch(current, horizon);
    }
  }

  /** Keeps the lease on `id` while `work` runs (a receiver may take up to requestTimeoutMs). */
  private async whileHolding<T>(id: string, work: Promise<T>): Promise<T> {
    const renew = setInterval(
      () => void this.webhooks.renew(id, this.serverId, Date.now() + this.options.leaseMs).catch(this.onError),
      this.options.leaseMs / 3,
    );
    try {
      return await work;
    } finally {
      clearInterval(renew);
    }
  }

  private async failed(hook: WebhookRow, batch: StoredEvent[], error: string): Promise<void> {
    const now = Date.now();
    const failingSince = hook.failing_since ?? now;
    const giveUpAt = failingSince + this.options.retryForMs;
    if (now >= giveUpAt) {
      await this.webhooks.giveUp(hook, this.serverId, batch, failingSince, error);
      return;
    }
    await this.webhooks.retryLater(hook, this.serverId, {
      batchEndSeq: (batch.at(-1) as StoredEvent).seq,
      failingSince,
      // The last retry falls on the end of the window rather than past it.
      nextAttemptAt: Math.min(now + backoffMs(hook.attempts + 1, this.options), giveUpAt),
      error,
    });
  }

  /** POSTs one batch; undefined on a 2xx, else what went wrong. */
  private async post(hook: WebhookRow, batch: StoredEvent[]): Promise<string | undefined> {
    const body = `{"events":[${batch.map((e) => e.body).join(',')}]}`;
    try {
      const { status } = await postOutbound(
        new URL(hook.url),
        body,
        { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(hook.secret, body) },
        {
          policy: { allowPrivate: this.options.allowPrivate },
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.requestTimeoutMs)]),
        },
      );
      return status >= 200 && status < 300 ? undefined : `The receiver answered HTTP ${status}.`;
    } catch (err) {
      if (err instanceof ForbiddenDestination) return `Refused: ${err.message}`;
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      return `The request failed: ${cause}`;
    }
  }
}
