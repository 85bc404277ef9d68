// Body parsing: JSON where an empty body means "no body" (CONTRACT §4: curl examples send
// `Content-Type: application/json` with nothing), and form fields for POST /oauth/token.
import type { FastifyInstance } from 'fastify';
import { InvalidInput } from '../errors.js';

export const BODY_LIMIT = 1024 * 1024;
/** How deep a JSON body may nest. A card definition needs about 8 levels; thousands would
 * overflow the stack of whatever walks the value next (validation, JSON.stringify). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests no deeper than `max` (walked without recursion, so any depth is safe). */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}

export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (err, value) => {
      if (err) done(new InvalidInput('invalid_json', 'The body is not valid JSON.'), undefined);
      else if (!nestsWithin(value, MAX_JSON_DEPTH)) done(new InvalidInput('too_deep', `The body nests deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
      else done(null, value);
    });
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      done(null, Object.fromEntries(new URLSearchParams(text)));
    },
  );
}
