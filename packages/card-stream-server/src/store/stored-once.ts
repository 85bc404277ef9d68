// Rows written once under a key made from their content, and never changed or deleted
// (card contents, event templates): once a transaction that stored one has committed, this
// process need not look for it or insert it again. A send of one card otherwise read its
// content and re-inserted its event template every time. Learned only from commits: a key
// written by a transaction that rolled back is not known.

/** What stores the keys: a kysely transaction, or any object that stands for one write (write-now.ts). */
type Write = object;

/** Keys remembered, the least recently added dropped first. */
const KEEP = 5000;

export class StoredOnce {
  private readonly known = new Set<string>();
  private readonly writing = new WeakMap<Write, string[]>();

  /** Whether a committed transaction of this process stored (or found) `key`. */
  has(key: string): boolean {
    return this.known.has(key);
  }

  /** `tx` stores (or found stored) these keys: known once `committed(tx)` is called. */
  storing(tx: Write, keys: readonly string[]): void {
    if (keys.length === 0) return;
    const list = this.writing.get(tx) ?? [];
    list.push(...keys);
    this.writing.set(tx, list);
  }

  /** `tx` has committed. */
  committed(tx: Write): void {
    for (const key of this.writing.get(tx) ?? []) this.learn(key);
    this.writing.delete(tx);
  }

  private learn(key: string): void {
    this.known.delete(key);
    if (this.known.size >= KEEP) this.known.delete(this.known.values().next().value as string);
    this.known.add(key);
  }
}
