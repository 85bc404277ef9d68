// Inserting many rows of one table inside a transaction. On PostgreSQL one INSERT … SELECT
// FROM unnest(…) per table takes each column as one array parameter: a statement of a few
// parameters whatever the number of rows, so a send job's page of 5,000 cards is one round
// trip per table instead of a statement of 100,000 parameters per 500 rows for the server to
// parse. On SQLite a big statement does not pay: compiling and preparing one with thousands
// of placeholders costs more than SQLite's own work, so one prepared single-row statement
// is kept per table and column list and run for each row (better-sqlite3 runs it on the
// connection that holds the transaction, so the rows are part of it).
import { sql, type Insertable, type Transaction } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './schema.js';

export interface InsertManyOptions {
  /** Skip rows that clash on this unique column instead of failing. */
  ignoreConflictOn?: string;
  /** The unique index on `ignoreConflictOn` is partial: it holds the rows where this column is null. */
  conflictIndexWhereNull?: string;
}

/** Inserts `rows` into `table` inside `tx`; returns how many were inserted. */
export type InsertMany = <T extends keyof Database & string>(
  tx: Transaction<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  options?: InsertManyOptions,
) => Promise<number>;

/** Rows per statement on PostgreSQL. */
const CHUNK = 10_000;

export function unnestInsertMany(): InsertMany {
  // Each table's column types, read once: unnest needs each array's type, and a column
  // whose values are all null in a chunk says nothing of it.
  const typesOf = new Map<string, Promise<Map<string, string>>>();
  const columnTypes = (tx: Transaction<Database>, table: string) => {
    let types = typesOf.get(table);
    if (!types) {
      types = sql<{ column_name: string; udt_name: string }>`select column_name, udt_name from information_schema.columns
        where table_schema = current_schema() and table_name = ${table}`
        .execute(tx)
        .then((result) => new Map(result.rows.map((r) => [r.column_name, r.udt_name])));
      typesOf.set(table, types);
      types.catch(() => typesOf.delete(table));
    }
    return types;
  };
  return async (tx, table, rows, options = {}) => {
    const shape = insertShape(table, rows, options);
    if (!shape) return 0;
    const { columns, conflict, partial } = shape;
    const types = await columnTypes(tx, table);
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK) as Record<string, unknown>[];
      const arrays = columns.map((column) => {
        const type = types.get(column);
        if (!type) throw new Error(`insertMany: ${table} has no column ${column}`);
        return sql`${chunk.map((row) => row[column] ?? null)}::${sql.raw(type)}[]`;
      });
      const where = partial ? sql` where ${sql.ref(partial)} is null` : sql``;
      const returning = conflict ? sql` on conflict (${sql.ref(conflict)})${where} do nothing returning ${sql.ref(conflict)}` : sql``;
      const result = await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})${returning}`.execute(tx);
      inserted += conflict ? result.rows.length : chunk.length;
    }
    return inserted;
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The columns (those of the first row) and conflict names of an insert, checked; undefined when there is no row. */
function insertShape(table: string, rows: readonly object[], options: InsertManyOptions) {
  const first = rows[0];
  if (!first) return undefined;
  const columns = Object.keys(first);
  const conflict = options.ignoreConflictOn;
  const partial = options.conflictIndexWhereNull;
  checkIdentifiers([table, ...columns, ...(conflict ? [conflict] : []), ...(partial ? [partial] : [])]);
  return { columns, conflict, partial };
}

/** Names that passed the check: there are a few dozen, and a send inserts rows of three tables. */
const plainIdentifiers = new Set<string>();

/** Names come from our own row types, never from input; checked all the same, since they are spliced into SQL. */
function checkIdentifiers(names: string[]): void {
  for (const name of names) {
    if (plainIdentifiers.has(name)) continue;
    if (!IDENTIFIER.test(name)) throw new Error(`insertMany: "${name}" is not a plain identifier`);
    plainIdentifiers.add(name);
  }
}

export function sqliteInsertMany(sqlite: BetterSqlite3.Database): InsertMany {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return async (_tx, table, rows, options = {}) => {
    const shape = insertShape(table, rows, options);
    if (!shape) return 0;
    const { columns, conflict, partial } = shape;
    const key = `${table}(${columns.join(',')})${conflict ?? ''}${partial ?? ''}`;
    let statement = statements.get(key);
    if (!statement) {
      const onConflict = conflict ? ` on conflict(${conflict})${partial ? ` where ${partial} is null` : ''} do nothing` : '';
      statement = sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})${onConflict}`);
      statements.set(key, statement);
    }
    let inserted = 0;
    const values: unknown[] = new Array(columns.length);
    for (const row of rows) {
      for (let c = 0; c < columns.length; c++) values[c] = (row as Record<string, unknown>)[columns[c]!] ?? null;
      inserted += statement.run(values).changes;
    }
    return inserted;
  };
}
