// Requests that must reach the server even if the page is offline now or closes before
// they are sent: actions (each with its own `id`, so a replay is answered `applied: false`)
// and analytics batches (event ids dedupe them). Kept in IndexedDB until a definite answer.
// IndexedDB is the source of truth and every change is one read-modify-write transaction
// (idb-keyval `update`), so two outboxes on one key (two tabs, an element re-added) never
// drop each other's entries; at worst both send one, which the ids make harmless.
import { get, update } from 'idb-keyval';

export interface OutboxEntry {
  /** Local id; for an action, the action's own id. */
  id: string;
  path: string;
  body: unknown;
  /** The card an entry removes from the stream while it waits (dismiss, snooze, complete). */
  hides?: string;
}

/** What a send attempt learned: `sent` (any answer but a network failure) or `retry`. */
export type SendResult = 'sent' | 'retry';

export class Outbox {
  readonly #key: string;
  readonly #send: (entry: OutboxEntry) => Promise<SendResult>;
  /** This outbox's entries, for when IndexedDB is unavailable (some private modes). */
  #memory: OutboxEntry[] = [];
  #flushing?: Promise<void> | undefined;

  constructor(key: string, send: (entry: OutboxEntry) => Promise<SendResult>) {
    this.#key = key;
    this.#send = send;
  }

  /** Entries waiting, oldest first (those kept by an earlier page too). */
  async entries(): Promise<OutboxEntry[]> {
    return (await get<OutboxEntry[]>(this.#key).catch(() => undefined)) ?? this.#memory;
  }

  add(entry: OutboxEntry): Promise<void> {
    return this.#edit((entries) => [...entries, entry]);
  }

  /** Sends waiting entries in order, one flush at a time (so nothing is sent twice at once). */
  flush(): Promise<void> {
    this.#flushing ??= this.#run().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #run(): Promise<void> {
    for (let [entry] = await this.entries(); entry; [entry] = await this.entries()) {
      if ((await this.#send(entry).catch((): SendResult => 'retry')) === 'retry') return;
      const { id } = entry;
      await this.#edit((entries) => entries.filter((e) => e.id !== id));
    }
  }

  async #edit(change: (entries: OutboxEntry[]) => OutboxEntry[]): Promise<void> {
    this.#memory = change(this.#memory);
    await update<OutboxEntry[]>(this.#key, (stored) => change(stored ?? [])).catch(() => undefined);
  }
}
