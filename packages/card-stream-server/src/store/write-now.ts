// SQLite statements made synchronously on the raw connection, without kysely. Through
// kysely, a send's transaction awaited at every step (the connection, BEGIN, each statement,
// COMMIT), and each step ran kysely's query building and compiling: on a server that idles
// between requests, that cold code was a good part of the time from a send's request to the
// card on its user's socket (issue 16). A send's insert (cards/repository.ts) now runs as
// one synchronous transaction when the connection is free, and as the same synchronous
// statements inside kysely's transaction when it is not.
import type BetterSqlite3 from 'better-sqlite3';
import type { InsertRowsNow } from './insert-many.js';
import { serverWriteNow, type WriteGate } from './write-gate.js';

export interface SqliteNow {
  /** Inserts rows on the connection, inside its transaction in progress. */
  insert: InsertRowsNow;
  /** A statement prepared once by its text, for the connection's transaction in progress. */
  statement(text: string): BetterSqlite3.Statement;
  /**
   * Runs `work` now in a transaction of its own (BEGIN IMMEDIATE … COMMIT, or ROLLBACK if it
   * throws), if the connection is free: no one is using it through kysely and the SQLite
   * worker is outside a transaction (write-gate.ts). Otherwise `work` does not run, and the
   * answer is undefined. `work` must not await: nothing else may use the connection meanwhile.
   * On the worker's own store it never runs: the worker writes through kysely's transactions.
   */
  transaction<T>(work: () => T): { value: T } | undefined;
  /**
   * `first` and `second` as two such transactions, with the connection held between them:
   * once `first` has committed, `between` runs (it must not write), then `second`. Nothing
   * else writes between the two, not even the SQLite worker, so a crash between them leaves
   * `first`'s rows the last written. If the connection is not free, neither runs (undefined);
   * if `second` throws, its error is returned beside `first`'s value, since `first` stays written.
   */
  twoTransactions<T>(first: () => T, between: (value: T) => void, second: () => void): { value: T; secondFailed?: { err: unknown } } | undefined;
}

export function sqliteNow(
  sqlite: BetterSqlite3.Database,
  insert: InsertRowsNow,
  statement: (text: string) => BetterSqlite3.Statement,
  server?: WriteGate,
): SqliteNow {
  // better-sqlite3's transaction function: BEGIN IMMEDIATE, `work`, COMMIT; ROLLBACK and rethrow on a throw.
  const immediate = sqlite.transaction((work: () => unknown) => work()).immediate;
  return {
    insert,
    statement,
    transaction: server ? <T>(work: () => T) => serverWriteNow(server, () => immediate(work) as T) : () => undefined,
    twoTransactions: server
      ? <T>(first: () => T, between: (value: T) => void, second: () => void) =>
          serverWriteNow(server, () => {
            const value = immediate(first) as T;
            let betweenFailed: { err: unknown } | undefined;
            try {
              between(value);
            } catch (err) {
              betweenFailed = { err }; // `second` runs all the same: `first`'s rows need it
            }
            let secondFailed: { err: unknown } | undefined;
            try {
              immediate(second);
            } catch (err) {
              secondFailed = { err };
            }
            if (betweenFailed) throw betweenFailed.err;
            return secondFailed ? { value, secondFailed } : { value };
          })?.value
      : () => undefined,
  };
}
