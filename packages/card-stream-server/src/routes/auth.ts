// POST /oauth/token, credentials, and end-user tokens (CONTRACT §2).
import { Type } from '@sinclair/typebox';
import {
  ACCESS_TOKEN_SECONDS,
  CreatedCredentialSchema,
  CredentialInputSchema,
  CredentialListSchema,
  END_USER_DEFAULT_SECONDS,
  EndUserTokenRequestSchema,
  EndUserTokenSchema,
  TokenRequestSchema,
  TokenResponseSchema,
  type EndUserToken,
  type TokenResponse,
} from '../../../protocol/src/auth.js';
import { InvalidInput, Unauthorized } from '../errors.js';
import { credentialOf } from '../http/platform-guard.js';
import { RateLimiter } from '../http/rate-limit.js';
import { errors, platformErrors } from './responses.js';
import type { App, Services } from './types.js';

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header && /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined.
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined; // not valid percent-encoding: no credentials at all
  }
}

/** Failed token requests one address may make per minute before it is made to wait. */
export const TOKEN_FAILURES_PER_MINUTE = 20;

export function authRoutes(app: App, { credentials, resolver, tokens }: Pick<Services, 'credentials' | 'resolver' | 'tokens'>): void {
  const failures = new RateLimiter(TOKEN_FAILURES_PER_MINUTE, 60_000, 'too_many_failures');
  app.post(
    '/oauth/token',
    {
      schema: {
        operationId: 'getAccessToken',
        summary: 'Exchange client credentials for an access token',
        tags: ['auth'],
        security: [],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenRequestSchema,
        response: { 200: TokenResponseSchema, ...errors(400, 401, 429) },
      },
    },
    async (request): Promise<TokenResponse> => {
      // Guessing secrets from one address stops after a few tries (for the rest of the minute).
      failures.check(request.ip);
      if (request.body.grant_type !== 'client_credentials') {
        throw new InvalidInput('unsupported_grant_type', 'Only grant_type=client_credentials is supported.', 'grant_type');
      }
      const basic = basicCredentials(request.headers.authorization);
      const clientId = basic?.id ?? request.body.client_id;
      const secret = basic?.secret ?? request.body.client_secret;
      if (!clientId || !secret) {
        throw new Unauthorized('invalid_client', 'Send client_id and client_secret as fields or with Basic authentication.');
      }
      const credential = await credentials.findBySecret(secret);
      if (!credential || credential.clientId !== clientId) {
        failures.take(request.ip);
        throw new Unauthorized('invalid_client', 'The client id and secret do not match a credential.');
      }
      const accessToken = await tokens.issueAccessToken(credential.clientId, credential.roles);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS };
    },
  );

  app.get(
    '/v1/credentials',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'listCredentials',
        summary: 'List credentials (secrets are never shown again)',
        tags: ['auth'],
        response: { 200: CredentialListSchema, ...platformErrors },
      },
    },
    async () => ({ data: await credentials.list() }),
  );

  app.post(
    '/v1/credentials',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'createCredential',
        summary: 'Create a credential; its secret is shown once, in this answer',
        tags: ['auth'],
        body: CredentialInputSchema,
        response: { 201: CreatedCredentialSchema, ...platformErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await credentials.createBy(credentialOf(request), request.body.roles)),
  );

  app.delete(
    '/v1/credentials/:clientId',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'deleteCredential',
        summary: 'Revoke a credential and every access token issued to it',
        tags: ['auth'],
        params: Type.Object({ clientId: Type.String({ maxLength: 256 }) }),
        response: { 204: Type.Null({ description: 'Revoked' }), ...platformErrors, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      await credentials.revoke(request.params.clientId);
      resolver.forget(); // its access tokens and static key stop working now, not in 5 s
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/token',
    {
      config: { role: 'auth' },
      schema: {
        operationId: 'createEndUserToken',
        summary: 'Mint an end-user token for the SDK',
        tags: ['auth'],
        body: EndUserTokenRequestSchema,
        response: { 200: EndUserTokenSchema, ...platformErrors },
      },
    },
    async (request): Promise<EndUserToken> => {
      const { token, expiresAt } = await tokens.issueEndUserToken(request.body.userId, request.body.expiresIn ?? END_USER_DEFAULT_SECONDS);
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },
  );
}
