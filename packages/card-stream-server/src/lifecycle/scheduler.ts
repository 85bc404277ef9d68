// Fires lifecycle transitions on time (CONTRACT §4): embargo end, snooze end, expiry. The
// due time lives in the store (cards.next_due), so nothing is lost across a restart and
// a transition that fell due while the server was down fires at the next start, with its
// event stamped at the scheduled time.
import type { CardRepository, Transition } from '../cards/repository.js';
import type { CardRow } from '../cards/row.js';
import type { CardChangeBus } from '../cards/change-bus.js';

/** Other servers may add cards due soon; look at the store at least this often. */
const MAX_SLEEP_MS = 1000;
const BATCH = 500;

/** The transition due for `card` at `now`, if any. Expiry wins a tie: a card whose snooze
 * ends when it expires never comes back. */
export function dueTransition(card: CardRow, now: number): Transition | undefined {
  const wake = card.status === 'embargoed' ? card.embargo_until : card.status === 'snoozed' ? card.snoozed_until : null;
  const expires = card.expires_at;
  if (expires !== null && expires <= now && (wake === null || expires <= wake)) {
    return { card, status: 'expired', at: expires, event: 'card-expired' };
  }
  if (wake !== null && wake <= now) {
    return { card, status: 'active', at: wake, event: card.status === 'embargoed' ? 'card-published' : 'card-unsnoozed' };
  }
  return undefined;
}

export class LifecycleScheduler {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private running: Promise<void> | undefined;
  private stopped = true;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly cards: CardRepository,
    private readonly bus: CardChangeBus,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    // A card changed here may be due sooner than the timer: wake up for it.
    this.unsubscribe = this.bus.subscribe((changes) => {
      for (const { card } of changes) if (card.next_due !== null) this.wake(card.next_due);
    });
    this.wake(Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Makes sure the scheduler looks at the store no later than `at`. */
  private wake(at: number): void {
    if (this.stopped || at >= this.wakeAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - Date.now()));
    this.timer.unref?.();
  }

  private tick(): void {
    this.timer = undefined;
    this.wakeAt = Infinity;
    if (this.running) {
      // A run is under way; come back right after it.
      void this.running.then(() => this.wake(Date.now()));
      return;
    }
    this.running = this.runDue()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
      });
    void this.running.then(() => this.scheduleNext());
  }

  private async runDue(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const due = await this.cards.due(now, BATCH);
      let moved = 0;
      for (const card of due) {
        const transition = dueTransition(card, now);
        if (transition && (await this.cards.transition(transition))) moved++;
      }
      // A full batch where nothing moved means another server is working through the
      // same cards: leave the rest to it rather than spin.
      if (due.length < BATCH || moved === 0 || this.stopped) return;
    }
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    let next = Date.now() + MAX_SLEEP_MS;
    try {
      const earliest = await this.cards.earliestDue();
      if (earliest !== null) next = Math.min(next, earliest);
    } catch (err) {
      this.onError(err);
    }
    this.wake(next);
  }
}
