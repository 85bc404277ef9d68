// Who is calling: every platform route names the role it needs in its config, and this
// route's own hook answers 401 (no or bad credentials) or 403 (the role is missing) before
// the handler.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import type { Credential, Role } from '../../../protocol/src/auth.js';
import type { CredentialResolver } from '../auth/credential-resolver.js';
import { Forbidden, Unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a platform credential needs for this route; absent on public routes. */
    role?: Role;
  }
  interface FastifyRequest {
    credential?: Credential;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Adds the guard to each route that names a role, as that route is added (call before any
 * route is): a route without one runs no hook for it, and a route with one needs no look at
 * its config per request (`request.routeOptions` builds an object each time it is read).
 */
export function installGuard(app: FastifyInstance, resolver: CredentialResolver): void {
  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    if (role) addOnRequest(route, guard(role, resolver));
  });
}

function guard(role: Role, resolver: CredentialResolver): onRequestAsyncHookHandler {
  return async (request) => {
    const bearer = bearerToken(request);
    if (!bearer) throw new Unauthorized('unauthorized', 'Send a credential as "Authorization: Bearer <token or secret>".');
    const credential = await resolver.resolve(bearer);
    if (!credential) throw new Unauthorized('unauthorized', 'The credential is unknown, revoked or expired.');
    if (!credential.roles.includes(role)) {
      throw new Forbidden('forbidden', `This credential lacks the "${role}" role that this endpoint needs.`);
    }
    request.credential = credential;
  };
}

/** Adds `hook` after `route`'s own onRequest hooks, as the route is added (an onRoute hook). */
export function addOnRequest(route: RouteOptions, hook: onRequestAsyncHookHandler): void {
  const own = route.onRequest;
  route.onRequest = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), hook];
}

/** The caller of a route with `config.role` (set by the guard above). */
export function credentialOf(request: FastifyRequest): Credential {
  if (!request.credential) throw new Unauthorized('unauthorized', 'A platform credential is required.');
  return request.credential;
}
