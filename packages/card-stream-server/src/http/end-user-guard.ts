// SDK routes (docs/protocol.md) are called by browsers with an end-user token: a route
// that sets `config.endUser` gets `request.endUser`, or the request ends in 401 here.
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { addOnRequest, bearerToken } from './platform-guard.js';
import type { EndUser, TokenService } from '../auth/tokens.js';
import { Unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes an end-user token instead of a platform credential. */
    endUser?: boolean;
  }
  interface FastifyRequest {
    endUser?: EndUser;
  }
}

/** Adds the guard to each route with `config.endUser` as it is added (as installGuard does). */
export function installEndUserGuard(app: FastifyInstance, tokens: TokenService): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.endUser) addOnRequest(route, endUserGuard(tokens));
  });
}

function endUserGuard(tokens: TokenService): onRequestAsyncHookHandler {
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw new Unauthorized('invalid_token', 'Send the end-user token as "Authorization: Bearer <token>".');
    const user = await tokens.verifyEndUserToken(token);
    if ('error' in user) {
      throw user.error === 'expired'
        ? new Unauthorized('token_expired', 'The end-user token has expired: get a new one from the session delegate.')
        : new Unauthorized('invalid_token', 'The end-user token is not valid (signature, format or a missing exp).');
    }
    request.endUser = user;
  };
}

/** The caller of a route with `config.endUser` (set by the guard above). */
export function endUserOf(request: { endUser?: EndUser }): EndUser {
  if (!request.endUser) throw new Unauthorized('invalid_token', 'An end-user token is required.');
  return request.endUser;
}
