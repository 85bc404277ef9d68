// Signed tokens: platform access tokens (from POST /oauth/token) and end-user tokens
// (CONTRACT §2). They use different keys, so an end-user token can never pass for an
// access token, whoever holds JWT_SECRET.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ACCESS_TOKEN_SECONDS, type Role } from '../../../protocol/src/auth.js';

const PLATFORM_AUDIENCE = 'card-stream:platform';

export interface EndUser {
  userId: string;
  expiresAt: number;
}

export class TokenService {
  private readonly platformKey: Uint8Array;
  private readonly endUserKey: Uint8Array;

  constructor(platformSecret: string, endUserSecret: string) {
    this.platformKey = new TextEncoder().encode(platformSecret);
    this.endUserKey = new TextEncoder().encode(endUserSecret);
  }

  async issueAccessToken(clientId: string, roles: Role[]): Promise<string> {
    return new SignJWT({ roles })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(clientId)
      .setAudience(PLATFORM_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
      .sign(this.platformKey);
  }

  /** The client id of a valid access token, or undefined. */
  async verifyAccessToken(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.platformKey, { algorithms: ['HS256'], audience: PLATFORM_AUDIENCE });
      return typeof payload.sub === 'string' ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }

  async issueEndUserToken(userId: string, seconds: number): Promise<{ token: string; expiresAt: number }> {
    const expiresAt = Math.floor(Date.now() / 1000) + seconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.endUserKey);
    return { token, expiresAt: expiresAt * 1000 };
  }

  /** The end user of a token, or the reason it is refused. A token without `exp` is refused:
   * a token that never expires cannot be taken back. */
  async verifyEndUserToken(token: string): Promise<EndUser | { error: 'expired' | 'invalid' }> {
    try {
      const { payload } = await jwtVerify(token, this.endUserKey, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
      if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.exp !== 'number') return { error: 'invalid' };
      return { userId: payload.sub, expiresAt: payload.exp * 1000 };
    } catch (err) {
      return { error: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
