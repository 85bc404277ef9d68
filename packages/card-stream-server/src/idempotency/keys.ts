// Idempotency-Key (CONTRACT §10): a client that retries a request (after a timeout, say)
// gets the first answer again and nothing is made twice. The key's record is written in
// the same transaction as what the request makes, so either both exist or neither: a
// crash between them cannot leave a card without its key, or a key without its card.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { InvalidInput, Unrepeatable } from '../errors.js';

/** How long a key's first answer is kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

/** A request made with a key. */
export interface KeyedRequest {
  scope: string;
  key: string;
  /** Of the method, path and body, the body's object keys in sorted order: the same JSON sent again re-serialised is the same request. */
  hash: string;
  /** The same with the body's keys in the order sent, as keys recorded before the sorted form were hashed (they live 24 hours). */
  hashAsSent: string;
}

/** The answer a key gave the first time. */
export interface RecordedAnswer {
  status: number;
  body: unknown;
}

/** Writes the key's record inside the transaction of what the request makes. */
export type RecordAnswer = (tx: Transaction<Database>, answer: RecordedAnswer) => Promise<void>;

export function keyedRequest(scope: string, key: string, method: string, path: string, body: unknown): KeyedRequest {
  if (!KEY.test(key)) throw new InvalidInput('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', 'Idempotency-Key');
  const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify([method, path, value ?? null])).digest('hex');
  return { scope, key, hash: hashOf(sortedKeys(body)), hashAsSent: hashOf(body) };
}

/** `value` with every object's keys in sorted order (arrays keep theirs). */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, sortedKeys(record[key])]));
}

export class IdempotencyKeys {
  constructor(private readonly db: Kysely<Database>) {}

  /** The first answer to this key, if it was given within 24 hours; a 422 when the key came with another request. */
  async answered(request: KeyedRequest, now = Date.now()): Promise<RecordedAnswer | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', request.scope)
      .where('key', '=', request.key)
      .where('created', '>', now - IDEMPOTENCY_TTL_MS)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.request_hash !== request.hash && row.request_hash !== request.hashAsSent) {
      throw new Unrepeatable('idempotency_key_reused', 'This Idempotency-Key was used with another request in the last 24 hours: use a new key for a new request.');
    }
    return { status: row.status, body: JSON.parse(row.response) as unknown };
  }

  /** The recorder for `request`'s answer, to run inside the transaction that makes its result. */
  recorder(request: KeyedRequest): RecordAnswer {
    return async (tx, answer) => {
      // A key older than 24 hours is free again: its old record goes first.
      await tx.deleteFrom('idempotency_keys').where('scope', '=', request.scope).where('key', '=', request.key).where('created', '<=', Date.now() - IDEMPOTENCY_TTL_MS).execute();
      await tx
        .insertInto('idempotency_keys')
        .values({ scope: request.scope, key: request.key, request_hash: request.hash, status: answer.status, response: JSON.stringify(answer.body), created: Date.now() })
        .execute();
    };
  }

  /** Drops records older than 24 hours. */
  async prune(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('created', '<=', now - IDEMPOTENCY_TTL_MS).execute();
  }
}

/** Whether `err` is the store refusing a second record of one key (two requests racing). */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed: idempotency_keys/.test(e?.message ?? '');
}
