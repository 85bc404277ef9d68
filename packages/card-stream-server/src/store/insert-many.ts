// Inserting many rows of one table inside a transaction. On PostgreSQL a multi-row INSERT
// per chunk is fastest. On SQLite it is not: compiling and preparing a statement with
// thousands of placeholders costs more than SQLite's own work, so one prepared single-row
// statement is kept per table and column list and run for each row (better-sqlite3 runs
// it on the connection that holds the transaction, so the rows are part of it).
import type { Insertable, Transaction } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './schema.js';

export interface InsertManyOptions {
  /** Skip rows that clash on this unique column instead of failing. */
  ignoreConflictOn?: string;
}

/** Inserts `rows` into `table` inside `tx`; returns how many were inserted. */
export type InsertMany = <T extends keyof Database & string>(
  tx: Transaction<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  options?: InsertManyOptions,
) => Promise<number>;

/** Rows per statement: under PostgreSQL's bound-parameter limit for our widest table. */
const CHUNK = 500;

export function multiRowInsertMany(): InsertMany {
  return async (tx, table, rows, options = {}) => {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK) as never[];
      const insert = tx.insertInto(table).values(chunk);
      if (options.ignoreConflictOn) {
        const column = options.ignoreConflictOn as never;
        inserted += (await insert.onConflict((oc) => oc.column(column).doNothing()).returning(column).execute()).length;
      } else {
        await insert.execute();
        inserted += chunk.length;
      }
    }
    return inserted;
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function sqliteInsertMany(sqlite: BetterSqlite3.Database): InsertMany {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return async (_tx, table, rows, options = {}) => {
    const first = rows[0];
    if (!first) return 0;
    const columns = Object.keys(first);
    const conflict = options.ignoreConflictOn;
    // Names come from our own row types, never from input; checked all the same, since they
    // are spliced into SQL.
    for (const name of [table, ...columns, ...(conflict ? [conflict] : [])]) {
      if (!IDENTIFIER.test(name)) throw new Error(`insertMany: "${name}" is not a plain identifier`);
    }
    const key = `${table}(${columns.join(',')})${conflict ?? ''}`;
    let statement = statements.get(key);
    if (!statement) {
      const onConflict = conflict ? ` on conflict(${conflict}) do nothing` : '';
      statement = sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})${onConflict}`);
      statements.set(key, statement);
    }
    let inserted = 0;
    for (const row of rows) {
      const values = columns.map((c) => (row as Record<string, unknown>)[c] ?? null);
      inserted += statement.run(values).changes;
    }
    return inserted;
  };
}
