// Group commit for sends. Sends that arrive while a write is under way wait for it and then
// go into the store together: one transaction, one insert of all their cards, one of all
// their events, one numbering of all their changes. On SQLite, whose single writer makes
// every transaction wait for the last, this is most of a send's cost; each send is still
// answered only once its transaction has committed.
export interface InsertUnit<T> {
  value: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends in one transaction, at most (their rows stay well under a statement's limits). */
const MAX_BATCH = 200;

export class InsertBatcher<T> {
  private queue: InsertUnit<T>[] = [];
  private running = false;

  constructor(
    /** Writes `values` in one transaction; throws if any of them cannot be written. */
    private readonly writeAll: (values: T[]) => Promise<void>,
  ) {}

  add(value: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ value, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Once this turn of the event loop is over, whatever else arrived in it joins too.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.writeAll(batch.map((u) => u.value));
        for (const unit of batch) unit.resolve();
      } catch (err) {
        if (batch.length === 1) {
          (batch[0] as InsertUnit<T>).reject(err);
          continue;
        }
        // One of them could not be written (say, an Idempotency-Key that another request
        // recorded first): each goes again alone, so only that one fails.
        for (const unit of batch) await this.writeAll([unit.value]).then(unit.resolve, unit.reject);
      }
    }
    this.running = false;
  }
}
