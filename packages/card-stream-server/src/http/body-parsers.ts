// Body parsing: JSON where an empty body means "no body" (CONTRACT §4: curl examples send
// `Content-Type: application/json` with nothing), and form fields for POST /oauth/token.
import type { FastifyInstance } from 'fastify';
import { InvalidInput } from '../errors.js';

export const BODY_LIMIT = 1024 * 1024;

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
