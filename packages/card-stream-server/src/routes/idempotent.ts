// Routes that take an Idempotency-Key (CONTRACT §10): the same key with the same request
// within 24 hours answers the first answer again and makes nothing; with another request,
// 422 idempotency_key_reused. The key belongs to the credential that sent it.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AlsoRecord } from '../store/also-record.js';
import { isDuplicateKey, keyedRequest, type IdempotencyKeys } from '../idempotency/keys.js';
import { credentialOf } from '../http/platform-guard.js';

/** The header, as the OpenAPI document shows it. */
export const IdempotencyKeyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ maxLength: 255, description: 'retries with the same key (within 24 h) answer the first answer and make nothing twice' })),
});

/**
 * Answers `status` with `answer(result)` of `make`, once per Idempotency-Key: a repeat gets
 * the recorded answer (with `Idempotent-Replayed: true`); `make` writes the record itself,
 * in the transaction that makes its result.
 */
export async function answerOnce<R>(
  keys: IdempotencyKeys,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  answer: (result: R) => unknown,
  make: (alsoRecord?: AlsoRecord<R>) => Promise<R>,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  if (typeof header !== 'string') return reply.code(status).send(answer(await make()));
  const keyed = keyedRequest(credentialOf(request).clientId, header, request.method, request.url, request.body);
  const replay = async () => {
    const prior = await keys.answered(keyed);
    return prior && reply.code(prior.status).header('idempotent-replayed', 'true').send(prior.body);
  };
  const replayed = await replay();
  if (replayed) return replayed;
  try {
    const record = keys.recorder(keyed);
    const result = await make((tx, made) => record(tx, { status, body: answer(made) }));
    return reply.code(status).send(answer(result));
  } catch (err) {
    // Another request with this key committed first: its answer is the answer.
    if (isDuplicateKey(err)) return (await replay()) ?? Promise.reject(err);
    throw err;
  }
}
