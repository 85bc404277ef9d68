// Kysely's SQLite driver prepares every statement it runs anew; for the short statements a
// send or a feed read makes, preparing costs about as much as running. This keeps prepared
// statements by their SQL text (better-sqlite3 statements are reusable), so each is
// prepared once.
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct statements kept, the least recently used dropped first (SQL text varies with list lengths). */
const KEEP = 500;

/** The connection as kysely's SqliteDialect takes it; `prepare` also serves statements run on it directly (write-now.ts). */
export function cachingStatements(db: BetterSqlite3.Database): Omit<SqliteDatabase, 'prepare'> & { prepare(sql: string): BetterSqlite3.Statement } {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => void db.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // moved to the most recent end
      } else {
        statement = db.prepare(sql);
        if (statements.size >= KEEP) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
