// Opens the store: an embedded SQLite file (WAL, one writer), an in-memory SQLite, or
// PostgreSQL from DATABASE_URL, and brings its schema up to date.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { UuidColumnsPlugin } from './uuid-columns.js';
import { unnestInsertMany, sqliteInsertMany, sqliteInsertRows, type InsertMany } from './insert-many.js';
import { createWriteGate, gatedDialect, workerGatedDialect, type WriteGate } from './write-gate.js';
import { sqliteNow, type SqliteNow } from './write-now.js';
import { holdDataDir, preparePrivateDir, STORE_FILE } from './data-dir.js';
import { cachingStatements } from './statement-cache.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  /**
   * For reads that need not see the caller's own open transaction. On a SQLite file it is
   * a second, read-only connection: WAL lets it read the last commit while a long write
   * (a bulk cancel page) holds the writer, so API reads do not queue behind it. Elsewhere
   * it is `db` (PostgreSQL's pool already reads concurrently).
   */
  readDb: Kysely<Database>;
  kind: StoreKind;
  /** Many rows into one table inside a transaction, the fastest way for this store. */
  insertMany: InsertMany;
  /** SQLite: statements run synchronously on the store's connection (write-now.ts). */
  now?: SqliteNow;
  /** PostgreSQL's connection string, for connections of their own (LISTEN). */
  url?: string;
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'memory' }
  | { kind: 'postgres'; url: string; poolSize?: number };

// BIGINT columns hold millisecond times and sequence numbers, all far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * On a SQLite file, the gate the server and the SQLite worker share (write-gate.ts), and
 * which side this store's connection is.
 */
export interface GateSide {
  gate: WriteGate;
  side: 'server' | 'worker';
}

export async function openStore(options: StoreOptions, gated?: GateSide, warn: (message: string) => void = console.warn): Promise<Store> {
  const store = options.kind === 'postgres' ? openPostgres(options.url, options.poolSize) : openSqlite(options, gated, warn);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function openSqlite(options: { kind: 'sqlite'; dataDir: string } | { kind: 'memory' }, gated: GateSide | undefined, warn: (message: string) => void): Store {
  const server = gated?.side === 'server';
  let file = ':memory:';
  let held: { release(): void } | undefined;
  if (options.kind === 'sqlite') {
    preparePrivateDir(options.dataDir, warn);
    // Only the server's own connection holds the directory; the SQLite worker's store
    // shares the hold of the server that started it.
    if (server) held = holdDataDir(options.dataDir);
    file = join(options.dataDir, STORE_FILE);
  }
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  // With a write gate the SQLite worker runs and checkpoints the WAL (checkpoint.ts). Left
  // to this connection, a checkpoint would run on the server's thread after a commit and
  // stop every request for as long as it copies, which during a bulk cancel is tens of MB.
  if (server) sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma('synchronous = NORMAL');
  // A WAL that a bulk job grew to hundreds of MB is cut back to this when it starts over
  // (checkpoint.ts), not kept at its largest for good.
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // SQLite's default 2 MB page cache makes every write to a million-card table go to the
  // OS for index pages; 64 MB keeps the hot indexes in memory.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  const statements = cachingStatements(sqlite);
  const dialect = new SqliteDialect({ database: statements });
  // A store without a worker (in memory, or opened by a test) has a gate of its own: its
  // server slot still counts the connection's users, which write-now.ts must know.
  const gate = gated?.gate ?? createWriteGate();
  const onServer = gated?.side !== 'worker';
  const db = new Kysely<Database>({ dialect: onServer ? gatedDialect(dialect, gate) : workerGatedDialect(dialect, gate) });
  const insertRows = sqliteInsertRows(sqlite);
  const now = sqliteNow(sqlite, insertRows, (text) => statements.prepare(text), onServer ? gate : undefined);
  const insertMany = sqliteInsertMany(insertRows);
  if (options.kind === 'memory') return { db, readDb: db, insertMany, now, kind: 'sqlite', close: () => db.destroy() };
  // Opened lazily: the schema must exist (migrations run on `db` first).
  const readDb = new Kysely<Database>({
    dialect: new SqliteDialect({
      database: async () => {
        const reader = new BetterSqlite3(file, { readonly: true });
        reader.pragma('busy_timeout = 5000');
        reader.pragma('cache_size = -32768');
        return cachingStatements(reader);
      },
    }),
  });
  return {
    db,
    readDb,
    insertMany,
    now,
    kind: 'sqlite',
    close: async () => {
      await readDb.destroy();
      await db.destroy();
      held?.release();
    },
  };
}

function openPostgres(url: string, poolSize = 10): Store {
  // Each connection writes the pages it evicts from shared buffers out as it goes
  // (backend_flush_after), not left in the OS cache for a checkpoint to sync all at once: a
  // bulk job's connection evicts GBs of them, the checkpoints' sync took 0.4-1 s, and every
  // send committing meanwhile waited for it (up to 370 ms during a million-card cancel).
  // Options given in DATABASE_URL take precedence.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c backend_flush_after=256kB' });
  // An idle connection that PostgreSQL drops (a restart, a failover) is an 'error' on the
  // pool; unheard, it would crash the process. The pool replaces it on the next query.
  pool.on('error', (err) => console.error(`postgres: an idle connection failed: ${err.message}`));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new UuidColumnsPlugin()] });
  return { db, readDb: db, insertMany: unnestInsertMany(), kind: 'postgres', url, close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.kind) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
