// SQLite statements made synchronously on the raw connection, without kysely. Through
// kysely, a send's transaction awaited at every step (the connection, BEGIN, each statement,
// COMMIT), and each step ran kysely's query building and compiling: on a server that idles
// between requests, that cold code was a good part of the time from a send's request to the
// card on its user's socket (issue 16). A send's insert (cards/repository.ts) now runs as
// synchronous transactions (its cards', then its events') when the connection is free, and
// as the same synchronous statements inside kysely's transaction when it is not.
import type BetterSqlite3 from 'better-sqlite3';
import type { InsertRowsNow } from './insert-many.js';
import { serverWriteNow, type WriteGate } from './write-gate.js';

/** Runs `statements` in a transaction of its own on a held connection (SqliteNow.held). */
export type NowTransaction = <U>(statements: () => U) => U;

export interface SqliteNow {
  /** Inserts rows on the connection, inside its transaction in progress. */
  insert: InsertRowsNow;
  /** A statement prepared once by its text, for the connection's transaction in progress. */
  statement(text: string): BetterSqlite3.Statement;
  /**
   * Runs `work` now with the connection held, if it is free: no one is using it through
   * kysely and the SQLite worker is outside a transaction (write-gate.ts). Otherwise `work`
   * does not run, and the answer is undefined. `work` gets `transaction`, which runs its
   * argument in a transaction of its own (BEGIN IMMEDIATE … COMMIT, or ROLLBACK if it
   * throws); it may make several, and nothing else writes between them, not even the
   * worker. `work` must not await: nothing else may use the connection meanwhile. On the
   * worker's own store it never runs: the worker writes through kysely's transactions.
   */
  held<T>(work: (transaction: NowTransaction) => T): { value: T } | undefined;
}

export function sqliteNow(
  sqlite: BetterSqlite3.Database,
  insert: InsertRowsNow,
  statement: (text: string) => BetterSqlite3.Statement,
  server?: WriteGate,
): SqliteNow {
  // better-sqlite3's transaction function: BEGIN IMMEDIATE, `work`, COMMIT; ROLLBACK and rethrow on a throw.
  const immediate = sqlite.transaction((work: () => unknown) => work()).immediate as NowTransaction;
  return {
    insert,
    statement,
    held: server ? <T>(work: (transaction: NowTransaction) => T) => serverWriteNow(server, () => work(immediate)) : () => undefined,
  };
}
