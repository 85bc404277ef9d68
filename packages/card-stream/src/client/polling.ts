// HTTP polling (CONTRACT §8 `transport`): the only transport with transport="polling", the
// fallback while the socket is down, and what a follower tab does while the tab holding
// the socket polls. Each round reads the feeds (with their ETags) and sends the outbox.
import type { Transport } from './transport.js';

export class PollingTransport implements Transport {
  readonly live = false;
  /** Bumped by start and stop: a round still awaiting from an earlier start ends there. */
  #run = 0;
  #on = false;
  #timer?: ReturnType<typeof setTimeout>;
  /** Read at each round: a client that elements share polls at the shortest interval they ask (registry.ts). */
  readonly #every: { pollInterval: number };
  readonly #poll: () => Promise<void>;

  /** `every.pollInterval`: ms between rounds, at least 1000 (the elements and createClient see to it). */
  constructor(every: { pollInterval: number }, poll: () => Promise<void>) {
    this.#every = every;
    this.#poll = poll;
  }

  /** `now` false: the feeds were just read, so the first round waits a period. */
  start(now = true): void {
    if (this.#on) return;
    this.#on = true;
    void this.#round(++this.#run, now);
  }

  stop(): void {
    this.#on = false;
    this.#run++;
    clearTimeout(this.#timer);
  }

  async #round(run: number, poll: boolean): Promise<void> {
    if (poll) await this.#poll();
    if (run === this.#run) this.#timer = setTimeout(() => this.#round(run, true), this.#every.pollInterval);
  }
}
