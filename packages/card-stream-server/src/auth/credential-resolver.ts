// Which credential a bearer value is: an access token (from POST /oauth/token) or a static
// key (a client secret).
import type { Credential } from '../../../protocol/src/auth.js';
import type { CredentialRepository } from './credentials.js';
import type { TokenService } from './tokens.js';

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
