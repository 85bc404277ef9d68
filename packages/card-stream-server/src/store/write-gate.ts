// SQLite has one writer, and better-sqlite3 waits for it synchronously: a statement on the
// server's thread that finds the SQLite worker (cancel/sqlite-worker.ts) holding the lock sleeps in
// SQLite's busy handler, event loop and all, retrying at up to 100 ms intervals. A worker
// that starts its next page as soon as one commits can win every retry and keep the server
// waiting for seconds. The gate is a counter in memory both threads share: the server's
// connection raises it while it is in use, and the worker starts no page while it is up, so
// the server waits at most for the page in progress.
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type TransactionSettings } from 'kysely';

export type WriteGate = Int32Array;

export function createWriteGate(): WriteGate {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

/** The worker's side: resolves once the server's connection is not in use. */
export async function gateOpen(gate: WriteGate): Promise<void> {
  while (Atomics.load(gate, 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The server's side: `dialect`, whose connection raises the gate while it is in use. */
export function gatedDialect(dialect: Dialect, gate: WriteGate): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new GatedDriver(dialect.createDriver(), gate),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

/** `driver`, with the gate raised from acquiring a connection to releasing it. */
class GatedDriver implements Driver {
  constructor(
    private readonly driver: Driver,
    private readonly gate: WriteGate,
  ) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    Atomics.add(this.gate, 0, 1);
    try {
      return await this.driver.acquireConnection();
    } catch (err) {
      Atomics.sub(this.gate, 0, 1);
      throw err;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.driver.releaseConnection(connection);
    } finally {
      Atomics.sub(this.gate, 0, 1);
    }
  }

  /**
   * BEGIN IMMEDIATE: the transaction takes SQLite's writer lock at once. A deferred one that
   * reads first (a send job's page, a content looked up before it is inserted) would have
   * to upgrade its read to a write later, and once the worker has committed in between,
   * SQLite refuses that at once (SQLITE_BUSY, "database is locked") without waiting.
   */
  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}
