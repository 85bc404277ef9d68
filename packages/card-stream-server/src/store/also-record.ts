import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Something a caller writes in the transaction that makes `result`, so it exists exactly
 * when the result does (an Idempotency-Key's first answer, idempotency/keys.ts).
 */
export type AlsoRecord<R> = (tx: Transaction<Database>, result: R) => Promise<void>;
