// The SQLite data directory: private to the server's account (the store holds the keys that
// sign every token, and webhook secrets), and held by one server at a time.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export const STORE_FILE = 'card-stream.sqlite';
const LOCK_FILE = 'server.lock';

/**
 * Makes `dir` (mode 700) and the store's file (mode 600) when they do not exist yet; SQLite
 * gives its -wal and -shm files the store file's mode. Warns when an existing one lets other
 * accounts in: any local user could read the secrets and forge tokens.
 */
export function preparePrivateDir(dir: string, warn: (message: string) => void): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, STORE_FILE);
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const [path, mode] of [
    [dir, 0o700],
    [file, 0o600],
  ] as const) {
    const actual = statSync(path).mode & 0o777;
    if (actual & 0o077) {
      warn(
        `${path} is readable by other accounts (mode ${actual.toString(8)}); it holds the keys that sign tokens. ` +
          `Run: chmod ${mode.toString(8)} ${path}`,
      );
    }
  }
}

/** Holds of this process, by directory: servers built in one process (tests do) share one. */
const holds = new Map<string, { lock: BetterSqlite3.Database; count: number }>();

/**
 * Holds `dir` for this process: an exclusive SQLite lock (an OS file lock) on a file of its
 * own, kept until the last `release()` or the process ends (a crash releases it too). A
 * server in another process on the same directory gets an error naming it, at once.
 */
export function holdDataDir(dir: string): { release(): void } {
  const key = realpathSync(dir);
  let hold = holds.get(key);
  if (!hold) holds.set(key, (hold = { lock: lockDir(dir), count: 0 }));
  hold.count++;
  let released = false;
  return {
    release: () => {
      if (released || !hold) return;
      released = true;
      if (--hold.count === 0) {
        holds.delete(key);
        hold.lock.close();
      }
    },
  };
}

function lockDir(dir: string): BetterSqlite3.Database {
  const lockPath = join(dir, LOCK_FILE);
  const lock = new BetterSqlite3(lockPath, { timeout: 0 });
  try {
    chmodSync(lockPath, 0o600);
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE mode it is kept after the commit.
    lock.exec('create table if not exists holder (pid integer)');
    lock.exec('begin exclusive; delete from holder; commit');
  } catch (err) {
    lock.close();
    const busy = err instanceof Error && /busy|locked/i.test(err.message);
    throw new Error(
      busy
        ? `The data directory ${dir} is in use by another card-stream server. Stop it, or give this one another --data-dir (several servers share PostgreSQL, never a SQLite file).`
        : `Could not lock the data directory ${dir}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return lock;
}
