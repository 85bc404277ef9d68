// The one error handler: every 4xx/5xx is { error: { code, message } } (CONTRACT §3). Domain
// errors (../errors.ts) map to a status by their kind; schema validation failures name the
// field at fault; anything else is a 500 that hides its text.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { Conflict, DomainError, Forbidden, InvalidInput, InvalidState, LimitReached, NotFound, Unauthorized, Unrepeatable } from '../errors.js';
import { relevantError, type AjvError } from './union-errors.js';

const STATUS_OF: [new (...args: never[]) => DomainError, number][] = [
  [InvalidInput, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [InvalidState, 409],
  [LimitReached, 429],
  [Unrepeatable, 422],
];

export function statusOf(err: DomainError): number {
  return STATUS_OF.find(([kind]) => err instanceof kind)?.[1] ?? 500;
}

/** Turns an Ajv validation failure into a sentence naming the field at fault. */
function describeValidation(err: FastifyError, request: FastifyRequest): { code: string; message: string } {
  const part = err.validationContext ?? 'body';
  const first = (relevantError((err.validation ?? []) as AjvError[], schemaOf(request, part), dataOf(request, part)) ?? {}) as AjvError;
  const where = first.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
  if (first.keyword === 'additionalProperties') {
    const name = String(first.params?.additionalProperty ?? '');
    const field = where ? `${where}.${name}` : name;
    return part === 'querystring'
      ? { code: 'unknown_attribute', message: `Unknown query attribute "${name}".` }
      : { code: 'invalid_request', message: `Unknown field "${field}" in the ${part}.` };
  }
  if (first.keyword === 'required') {
    const name = String(first.params?.missingProperty ?? '');
    const field = where ? `${where}.${name}` : name;
    return { code: 'invalid_request', message: `The ${part} is missing "${field}".` };
  }
  if (first.keyword === 'enum') {
    const allowed = (first.params?.allowedValues as unknown[] | undefined)?.join(', ') ?? '';
    const label = part === 'querystring' ? 'query attribute' : `${part} field`;
    return { code: 'invalid_request', message: `The ${label} "${where}" must be one of: ${allowed}.` };
  }
  const label = part === 'querystring' ? 'query attribute' : `${part} field`;
  const subject = where ? `The ${label} "${where}"` : `The ${part}`;
  return { code: 'invalid_request', message: `${subject} ${first.message ?? 'is invalid'}.` };
}

/** The route's schema of the request `part` that failed (body, querystring, params, headers). */
function schemaOf(request: FastifyRequest, part: string): unknown {
  return (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
}

function dataOf(request: FastifyRequest, part: string): unknown {
  return part === 'body' ? request.body : part === 'querystring' ? request.query : part === 'params' ? request.params : request.headers;
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The body is larger than 1 MiB.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send the body as application/json.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is not valid JSON.' },
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof DomainError) {
      if (err instanceof LimitReached) void reply.header('retry-after', String(err.retryAfterSeconds));
      void reply.code(statusOf(err)).send({ error: { code: err.code, message: err.message } });
      return;
    }
    if (err.validation) {
      void reply.code(400).send({ error: describeValidation(err, request) });
      return;
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) {
      void reply.code(known.status).send({ error: { code: known.code, message: known.message } });
      return;
    }
    if (err instanceof SyntaxError || err.statusCode === 400) {
      void reply.code(400).send({ error: { code: 'bad_request', message: err.message } });
      return;
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      void reply.code(err.statusCode).send({ error: { code: 'bad_request', message: err.message } });
      return;
    }
    request.log.error({ err }, 'request failed');
    void reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on the server; try again.' } });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: { code: 'not_found', message: `There is no route ${request.method} ${request.url.split('?')[0]}.` },
    });
  });
}

/**
 * Fastify's own refusals before a route runs (a malformed URL, a path parameter over the
 * router's length), answered with the same body as every other error.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (err, _request, reply) => {
  const status = err.statusCode ?? 400;
  const code = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : 'bad_url';
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long.' : 'The URL is not valid (a malformed %-escape?).';
  void (reply as FastifyReply).code(status).send({ error: { code, message } });
};

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request line and headers are larger than 16 KB.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request did not arrive in time.'],
};

/**
 * Requests Node's HTTP parser refuses before fastify sees them (headers over 16 KB, bytes
 * that are not HTTP, a request too slow to arrive): answered with the error body of CONTRACT
 * §3, then the connection is closed.
 */
export const clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']> = (err, socket) => {
  if (!socket.writable || ('code' in err && err.code === 'ECONNRESET')) {
    socket.destroy(err);
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[String((err as { code?: string }).code)] ?? [400, 'bad_request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
