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

/**
 * Fastify's parser (secure-json-parse) also refuses valid JSON with a key that would reach
 * an object's prototype: "__proto__", or "constructor" holding "prototype". That is a body
 * we will not take, not a malformed one, and the answer says so. Its error does not tell
 * which, so the text is parsed again (JSON.parse makes such a key an own property, harmless
 * here, and the value is dropped).
 */
function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
const FORBIDDEN_KEY_MESSAGE = 'The body has a key named "__proto__", or a "constructor" with a "prototype": such keys are refused anywhere in a body.';

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
      if (err && isValidJson(text)) done(new InvalidInput('forbidden_key', FORBIDDEN_KEY_MESSAGE), undefined);
      else if (err) done(new InvalidInput('invalid_json', 'The body is not valid JSON.'), undefined);
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
