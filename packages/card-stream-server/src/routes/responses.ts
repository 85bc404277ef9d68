// The error answers an operation documents (CONTRACT §3 body), so the OpenAPI document
// lists a 4xx for every operation and generated clients know its shape.
import type { FastifyReply } from 'fastify';
import { ErrorBodySchema } from '../../../protocol/src/common.js';

export const errors = <const C extends readonly number[]>(...codes: C) =>
  Object.fromEntries(codes.map((code) => [code, ErrorBodySchema])) as { [K in C[number]]: typeof ErrorBodySchema };

/** Every platform route: bad input, no or bad credential, a credential without the role. */
export const platformErrors = errors(400, 401, 403);
/** Every end-user (SDK) route: bad input, no or bad end-user token. */
export const endUserErrors = errors(400, 401);

/**
 * Sends `json`, already the JSON text of the answer the route's schema describes, as it is:
 * fastify sends a string with a JSON content type without serializing it. For answers made
 * of stored JSON (cards' definitions), which the schema's serializer would parse and check
 * block by block only to make the same text.
 */
export function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
