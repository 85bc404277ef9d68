// SQLite has one writer, and better-sqlite3 waits for it synchronously: a statement on the
// server's thread that finds the SQLite worker (job-worker/thread.ts) holding the
// lock sleeps in SQLite's busy handler, event loop and all, in steps of up to 100 ms. So
// the two threads take turns through a gate in memory they share, before SQLite's lock:
// - slot SERVER counts the server's uses of its connection: while it is up, the worker
//   starts no transaction, so it never keeps the server waiting for more than the page in
//   progress;
// - slot WORKER is up while the worker is inside a transaction: before the server's thread
//   writes (a transaction, or a statement that is not a read) it waits for that slot to
//   go down asynchronously (Atomics.waitAsync), so every other request and socket goes on
//   meanwhile, and then finds SQLite's lock free. Reads need not wait: in WAL mode they
//   run beside a writer.
// Each side raises its own slot before it reads the other's (both sequentially consistent),
// so they cannot both go in; if both see the other up, the worker steps back.
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';

export type WriteGate = Int32Array;

const SERVER = 0;
const WORKER = 1;
/**
 * The longest the server waits for the worker's slot, in steps: past it (a worker that died
 * inside a transaction and left its slot up) it goes on to SQLite's own busy wait.
 */
const SERVER_WAIT_STEP_MS = 50;
const SERVER_WAIT_MAX_MS = 5000;

export function createWriteGate(): WriteGate {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

/** The worker's side: resolves once the server's connection is not in use (woken by serverLeave, not by polling). */
export async function gateOpen(gate: WriteGate): Promise<void> {
  for (let uses = Atomics.load(gate, SERVER); uses > 0; uses = Atomics.load(gate, SERVER)) {
    const waiting = Atomics.waitAsync(gate, SERVER, uses, SERVER_WAIT_STEP_MS);
    if (waiting.async) await waiting.value;
  }
}

/** The worker's side, before a transaction: raises its slot once the server's is down. */
async function workerEnter(gate: WriteGate): Promise<void> {
  for (;;) {
    Atomics.store(gate, WORKER, 1);
    if (Atomics.load(gate, SERVER) === 0) return;
    workerLeave(gate); // the server is in, or on its way: it goes first
    await gateOpen(gate);
  }
}

/**
 * The worker's side, for work outside a transaction that the server's writes must not run
 * beside (a checkpoint's last step, checkpoint.ts): `work` runs with the worker's slot up.
 */
export async function withWorkerSlot<T>(gate: WriteGate, work: () => Promise<T>): Promise<T> {
  await workerEnter(gate);
  try {
    return await work();
  } finally {
    workerLeave(gate);
  }
}

/** The worker's side, after a transaction (or when the worker is gone): lets a waiting server in. */
export function workerLeave(gate: WriteGate): void {
  Atomics.store(gate, WORKER, 0);
  Atomics.notify(gate, WORKER);
}

/** The server's side, before it writes: waits (without blocking the thread) for the worker's transaction to end. */
async function workerOut(gate: WriteGate): Promise<void> {
  const deadline = Date.now() + SERVER_WAIT_MAX_MS;
  while (Atomics.load(gate, WORKER) !== 0 && Date.now() < deadline) {
    const waiting = Atomics.waitAsync(gate, WORKER, 1, SERVER_WAIT_STEP_MS);
    if (waiting.async) await waiting.value;
  }
}

/**
 * The server's side, for a write made synchronously on the raw connection (write-now.ts):
 * runs `work` with the server's slot up, if no one is using the connection through kysely
 * (the slot counts those uses, waiting ones included) and the worker is outside a
 * transaction. Otherwise `work` does not run and the answer is undefined: the caller goes
 * the usual, awaited way. Nothing else on this thread can run while `work` does.
 */
export function serverWriteNow<T>(gate: WriteGate, work: () => T): { value: T } | undefined {
  if (Atomics.load(gate, SERVER) !== 0) return undefined;
  serverEnter(gate);
  try {
    if (Atomics.load(gate, WORKER) !== 0) return undefined;
    return { value: work() };
  } finally {
    serverLeave(gate);
  }
}

function serverEnter(gate: WriteGate): void {
  Atomics.add(gate, SERVER, 1);
}

function serverLeave(gate: WriteGate): void {
  if (Atomics.sub(gate, SERVER, 1) === 1) Atomics.notify(gate, SERVER);
}

/** The server's side: `dialect`, whose connection is used only with the server's slot up and the worker's down. */
export function gatedDialect(dialect: Dialect, gate: WriteGate): Dialect {
  return withDriver(dialect, (driver) => new ServerGatedDriver(driver, gate));
}

/** The worker's side: `dialect`, whose transactions run with the worker's slot up, once the server's is down. */
export function workerGatedDialect(dialect: Dialect, gate: WriteGate): Dialect {
  return withDriver(dialect, (driver) => new WorkerGatedDriver(driver, gate));
}

function withDriver(dialect: Dialect, wrap: (driver: Driver) => Driver): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => wrap(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

/** Passes every call through; the gated drivers below change two each. */
class PassThroughDriver implements Driver {
  constructor(protected readonly driver: Driver) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.driver.acquireConnection();
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(connection);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.driver.beginTransaction(connection, settings);
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

/**
 * BEGIN IMMEDIATE: the transaction takes SQLite's writer lock at once. A deferred one that
 * reads first (a send job's page, a content looked up before it is inserted) would have to
 * upgrade its read to a write later, and once the other thread has committed in between,
 * SQLite refuses that at once (SQLITE_BUSY, "database is locked") without waiting.
 */
async function beginImmediate(connection: DatabaseConnection): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw('begin immediate'));
}

/** A statement that only reads: in WAL mode it runs beside the worker's transaction. */
const isRead = (query: CompiledQuery): boolean => query.query.kind === 'SelectQueryNode' || /^\s*select\b/i.test(query.sql);

/** The server's connection: before a write outside a transaction, waits for the worker's transaction to end. */
class ServerConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly gate: WriteGate,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.inTransaction && !isRead(query)) await workerOut(this.gate);
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** The server's slot up from acquiring the connection to releasing it; a transaction starts once the worker's has ended. */
class ServerGatedDriver extends PassThroughDriver {
  constructor(
    driver: Driver,
    private readonly gate: WriteGate,
  ) {
    super(driver);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    serverEnter(this.gate);
    try {
      return new ServerConnection(await this.driver.acquireConnection(), this.gate);
    } catch (err) {
      serverLeave(this.gate);
      throw err;
    }
  }

  override async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.driver.releaseConnection((connection as ServerConnection).inner);
    } finally {
      serverLeave(this.gate);
    }
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const server = connection as ServerConnection;
    await workerOut(this.gate);
    await beginImmediate(server.inner);
    server.inTransaction = true;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const server = connection as ServerConnection;
    server.inTransaction = false;
    await this.driver.commitTransaction(server.inner);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const server = connection as ServerConnection;
    server.inTransaction = false;
    await this.driver.rollbackTransaction(server.inner);
  }
}

/** The worker's slot up from the start of a transaction to its commit or rollback. */
class WorkerGatedDriver extends PassThroughDriver {
  constructor(
    driver: Driver,
    private readonly gate: WriteGate,
  ) {
    super(driver);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await workerEnter(this.gate);
    try {
      await beginImmediate(connection);
    } catch (err) {
      workerLeave(this.gate);
      throw err;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.driver.commitTransaction(connection);
    } finally {
      workerLeave(this.gate);
    }
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.driver.rollbackTransaction(connection);
    } finally {
      workerLeave(this.gate);
    }
  }
}
