// Collects SDK events and hands them on in batches of at most 100 (the upload limit of
// POST /v1/sdk/events), a second after the first event of a batch or at once when full.
import type { SdkEventUpload } from '../../../protocol/src/sdk.js';
import { toUpload, type AnalyticsEvent } from './analytics.js';

export const EVENT_BATCH = 100;

export class EventBatcher {
  #events: AnalyticsEvent[] = [];
  #timer?: ReturnType<typeof setTimeout> | undefined;
  readonly #send: (batch: SdkEventUpload[]) => Promise<void>;

  constructor(send: (batch: SdkEventUpload[]) => Promise<void>) {
    this.#send = send;
  }

  push(event: AnalyticsEvent): void {
    this.#events.push(event);
    if (this.#events.length >= EVENT_BATCH) void this.drain();
    else this.#timer ??= setTimeout(() => void this.drain(), 1000);
  }

  /** Hands on everything collected so far. */
  async drain(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#events.length) await this.#send(this.#events.splice(0, EVENT_BATCH).map(toUpload));
  }
}
