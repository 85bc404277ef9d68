// Who is calling: every platform route names the role it needs in its config, and this
// hook answers 401 (no or bad credentials) or 403 (the role is missing) before the handler.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors.js';
import type { Credential, CredentialRepository } from '../repo/credentials.js';
import type { TokenService } from './tokens.js';
import type { Role } from './roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a platform credential needs for this route; absent on public routes. */
    role?: Role;
  }
  interface FastifyRequest {
    credential?: Credential;
  }
}

const CACHE_MS = 5_000;

/** Resolves bearer values to credentials, remembering answers for a few seconds so a burst
 * of API calls costs one lookup. A deleted credential stops working within CACHE_MS. */
export class CredentialResolver {
  private readonly cache = new Map<string, { credential: Credential | undefined; at: number }>();

  constructor(
    private readonly credentials: CredentialRepository,
    private readonly tokens: TokenService,
  ) {}

  forget(): void {
    this.cache.clear();
  }

  async resolve(bearer: string): Promise<Credential | undefined> {
    const hit = this.cache.get(bearer);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.credential;
    const credential = await this.lookup(bearer);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(bearer, { credential, at: Date.now() });
    return credential;
  }

  private async lookup(bearer: string): Promise<Credential | undefined> {
    if (bearer.split('.').length === 3) {
      const clientId = await this.tokens.verifyAccessToken(bearer);
      return clientId === undefined ? undefined : this.credentials.find(clientId);
    }
    return this.credentials.findBySecret(bearer);
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function installGuard(app: FastifyInstance, resolver: CredentialResolver): void {
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    if (!role) return;
    const bearer = bearerToken(request);
    if (!bearer) throw new ApiError(401, 'unauthorized', 'Send a credential as "Authorization: Bearer <token or secret>".');
    const credential = await resolver.resolve(bearer);
    if (!credential) throw new ApiError(401, 'unauthorized', 'The credential is unknown, revoked or expired.');
    if (!credential.roles.includes(role)) {
      throw new ApiError(403, 'forbidden', `This credential lacks the "${role}" role that this endpoint needs.`);
    }
    request.credential = credential;
  });
}
