// Inserting many rows of one table inside a transaction. On PostgreSQL one INSERT … SELECT
// FROM unnest(…) per table takes each column as one array parameter: a statement of a few
// parameters whatever the number of rows, so a send job's page of 5,000 cards is one round
// trip per table instead of a statement of 100,000 parameters per 500 rows for the server to
// parse. On SQLite a statement with thousands of placeholders does not pay (compiling and
// preparing it costs more than SQLite's own work): a few rows go as one prepared statement
// of that many rows per table and column list; many rows (a send job's page) go as one
// statement that binds what they share once and unpacks the rest from one JSON parameter
// (insertColumns). better-sqlite3 runs either on the connection that holds the
// transaction, so the rows are part of it.
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

/**
 * Rows at or above which an insert binds what they share once: on SQLite as one statement
 * (insertColumns; fewer go a prepared row statement each), on PostgreSQL as one parameter
 * instead of an array. A send of a few cards is left as it was.
 */
export const BULK_ROWS = 32;

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
      // Many rows: a value every row shares is one parameter, not an array of it (a send job's
      // page of cards shares 20 of 22 columns; each array is serialised by the driver and
      // parsed by PostgreSQL element by element).
      const shared: ({ value: unknown } | undefined)[] = chunk.length >= BULK_ROWS ? columns.map((column) => sharedValue(chunk, column)) : [];
      // unnest needs one array at least: it gives the statement its rows.
      if (shared.length > 0 && !shared.includes(undefined)) shared[0] = undefined;
      const varying = columns.filter((_, c) => shared[c] === undefined);
      const typeOf = (column: string) => {
        const type = types.get(column);
        if (!type) throw new Error(`insertMany: ${table} has no column ${column}`);
        return sql.raw(type);
      };
      const arrays = varying.map((column) => sql`${chunk.map((row) => row[column] ?? null)}::${typeOf(column)}[]`);
      const where = partial ? sql` where ${sql.ref(partial)} is null` : sql``;
      const returning = conflict ? sql` on conflict (${sql.ref(conflict)})${where} do nothing returning ${sql.ref(conflict)}` : sql``;
      const into = sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})`;
      const rowsOf =
        varying.length === columns.length
          ? sql`select * from unnest(${sql.join(arrays)})`
          : sql`select ${sql.join(
              columns.map((column, c) => {
                const value = shared[c];
                return value === undefined ? sql.ref(`u.v${varying.indexOf(column)}`) : sql`${value.value}::${typeOf(column)}`;
              }),
            )} from unnest(${sql.join(arrays)}) as u(${sql.join(varying.map((_, v) => sql.ref(`v${v}`)))})`;
      const result = await sql`${into} ${rowsOf}${returning}`.execute(tx);
      inserted += conflict ? result.rows.length : chunk.length;
    }
    return inserted;
  };
}

/** `{ value }` when every row of `rows` holds the same value in `column` (null for none), else undefined. */
function sharedValue(rows: readonly Record<string, unknown>[], column: string): { value: unknown } | undefined {
  const value = (rows[0] as Record<string, unknown>)[column] ?? null;
  for (const row of rows) if ((row[column] ?? null) !== value) return undefined;
  return { value };
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


/**
 * Strings that may go through SQLite's JSON functions and come out as the same text a bound
 * parameter stores: no NUL, no surrogate (a lone one is replaced when bound; pairs are fine
 * but rare enough to leave to the row statements).
 */
const NOT_JSON_SAFE = /[\u0000\uD800-\uDFFF]/;

/** Whether every value of `column` in `rows` comes out of SQLite's JSON as it would be stored bound: all JSON-safe strings, or (`integer`: a column of INTEGER affinity) all whole numbers; nulls either way. */
function throughJson(rows: readonly Record<string, unknown>[], column: string, integer: boolean): boolean {
  let strings = true;
  let wholeNumbers = integer;
  for (const row of rows) {
    const v = row[column] ?? null;
    if (v === null) continue;
    if (strings && (typeof v !== 'string' || NOT_JSON_SAFE.test(v))) strings = false;
    if (wholeNumbers && (typeof v !== 'number' || !Number.isSafeInteger(v))) wholeNumbers = false;
    if (!strings && !wholeNumbers) return false;
  }
  return true;
}

/** Prepared insert statements kept on SQLite. */
const KEEP_STATEMENTS = 200;

/** SQLite: inserts `rows` into `table` at once, on the connection's transaction in progress; returns how many were inserted. */
export type InsertRowsNow = <T extends keyof Database & string>(table: T, rows: readonly Insertable<Database[T]>[], options?: InsertManyOptions) => number;

/** InsertMany on SQLite: `rowsNow`, whose statements run on the connection that holds the transaction. */
export function sqliteInsertMany(rowsNow: InsertRowsNow): InsertMany {
  return async (_tx, table, rows, options) => rowsNow(table, rows, options);
}

export function sqliteInsertRows(sqlite: BetterSqlite3.Database): InsertRowsNow {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const integerColumns = new Map<string, Set<string>>();
  /** `table`'s columns of INTEGER affinity (a declared type containing "INT"). */
  const integerColumnsOf = (table: string): Set<string> => {
    let columns = integerColumns.get(table);
    if (!columns) {
      const info = sqlite.pragma(`table_info(${table})`) as { name: string; type: string }[];
      columns = new Set(info.filter((c) => /int/i.test(c.type)).map((c) => c.name));
      integerColumns.set(table, columns);
    }
    return columns;
  };
  const prepared = (key: string, text: () => string): BetterSqlite3.Statement => {
    let statement = statements.get(key);
    if (!statement) {
      // Which columns a batch shares varies (each mix is a statement): the oldest go first.
      if (statements.size >= KEEP_STATEMENTS) statements.delete(statements.keys().next().value as string);
      statement = sqlite.prepare(text());
      statements.set(key, statement);
    }
    return statement;
  };
  /**
   * Many rows as one statement: the values every row shares are bound once, and the others
   * go as one JSON array of rows that json_each unpacks, in order. A send job's page inserts
   * thousands of cards, events and changes whose columns are nearly all the same: binding
   * each row's 6 to 22 values and running a statement per row was most of the JavaScript
   * side of a page. The rows stored are those the row statements would store: a value goes
   * through JSON only when it comes out the same (a string SQLite's JSON keeps as it is, or
   * a whole number for a column of INTEGER affinity, where a bound number is stored as an
   * integer too); otherwise undefined, and the rows go one by one.
   */
  const insertColumns = (table: string, columns: string[], rows: readonly object[], onConflict: string): number | undefined => {
    const first = rows[0] as Record<string, unknown>;
    const shared: boolean[] = [];
    const varying: string[] = [];
    const integers = integerColumnsOf(table);
    for (const column of columns) {
      const same = sharedValue(rows as readonly Record<string, unknown>[], column) !== undefined;
      shared.push(same);
      // A shared value is bound as it is: only the others go through JSON, and only theirs are
      // tested (most of a page's columns are shared: testing all of them took a fifth of the
      // insert of a page of 5,000 cards, about 3 ms).
      if (same) continue;
      if (!throughJson(rows as readonly Record<string, unknown>[], column, integers.has(column))) return undefined;
      varying.push(column);
    }
    const key = `${table}(${columns.join(',')})[${shared.map((s) => (s ? 1 : 0)).join('')}]${onConflict}`;
    const statement = prepared(key, () => {
      let next = 0;
      const values = columns.map((_, c) => (shared[c] ? '?' : `value->>${next++}`));
      // `where true`: without a WHERE, SQLite would read ON CONFLICT as part of the join.
      return `insert into ${table} (${columns.join(', ')}) select ${values.join(', ')} from json_each(?) where true${onConflict}`;
    });
    const parameters: unknown[] = [];
    columns.forEach((column, c) => {
      if (shared[c]) parameters.push(first[column] ?? null);
    });
    parameters.push(JSON.stringify(rows.map((row) => varying.map((column) => (row as Record<string, unknown>)[column] ?? null))));
    return statement.run(parameters).changes;
  };
  return (table, rows, options = {}) => {
    const shape = insertShape(table, rows, options);
    if (!shape) return 0;
    const { columns, conflict, partial } = shape;
    const onConflict = conflict ? ` on conflict(${conflict})${partial ? ` where ${partial} is null` : ''} do nothing` : '';
    if (rows.length >= BULK_ROWS) {
      const inserted = insertColumns(table, columns, rows, onConflict);
      if (inserted !== undefined) return inserted;
    }
    // Fewer rows (a send's card and its three events) go as one statement of that many rows;
    // many that JSON would not carry unchanged, a row at a time.
    const perStatement = rows.length < BULK_ROWS ? rows.length : 1;
    const statement = prepared(`${table}(${columns.join(',')})${onConflict}*${perStatement}`, () => {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      return `insert into ${table} (${columns.join(', ')}) values ${Array(perStatement).fill(tuple).join(', ')}${onConflict}`;
    });
    const values: unknown[] = new Array(columns.length * perStatement);
    let inserted = 0;
    for (let r = 0; r < rows.length; r += perStatement) {
      let v = 0;
      for (let i = r; i < r + perStatement; i++) for (const column of columns) values[v++] = (rows[i] as Record<string, unknown>)[column] ?? null;
      inserted += statement.run(values).changes;
    }
    return inserted;
  };
}
