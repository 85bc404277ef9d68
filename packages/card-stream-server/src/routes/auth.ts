// POST /oauth/token, credentials, and end-user tokens (CONTRACT §2).
import { Type } from '@sinclair/typebox';
import { ApiError, ErrorBodySchema } from '../http/errors.js';
import { ROLES } from '../auth/roles.js';
import { StringEnum } from '../http/schema-helpers.js';
import { ACCESS_TOKEN_SECONDS, END_USER_DEFAULT_SECONDS, END_USER_MAX_SECONDS } from '../auth/tokens.js';
import type { App, Services } from './types.js';

const RoleSchema = StringEnum(ROLES);
const CredentialSchema = Type.Object({
  clientId: Type.String(),
  roles: Type.Array(RoleSchema),
  created: Type.String(),
});
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema };

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header && /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

export function authRoutes(app: App, { credentials, resolver, tokens }: Services): void {
  app.post(
    '/oauth/token',
    {
      schema: {
        summary: 'Exchange client credentials for an access token',
        tags: ['auth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: Type.Object({
          grant_type: Type.String(),
          client_id: Type.Optional(Type.String()),
          client_secret: Type.Optional(Type.String()),
          scope: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      if (request.body.grant_type !== 'client_credentials') {
        throw new ApiError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
      }
      const basic = basicCredentials(request.headers.authorization);
      const clientId = basic?.id ?? request.body.client_id;
      const secret = basic?.secret ?? request.body.client_secret;
      if (!clientId || !secret) {
        throw new ApiError(401, 'invalid_client', 'Send client_id and client_secret as fields or with Basic authentication.');
      }
      const credential = await credentials.findBySecret(secret);
      if (!credential || credential.clientId !== clientId) {
        throw new ApiError(401, 'invalid_client', 'The client id and secret do not match a credential.');
      }
      const accessToken = await tokens.issueAccessToken(credential.clientId, credential.roles);
      return { access_token: accessToken, token_type: 'Bearer' as const, expires_in: ACCESS_TOKEN_SECONDS };
    },
  );

  app.get(
    '/v1/credentials',
    {
      config: { role: 'workbench' },
      schema: { summary: 'List credentials (secrets are never shown again)', tags: ['auth'], response: { 200: Type.Object({ data: Type.Array(CredentialSchema) }), ...errors } },
    },
    async () => ({ data: await credentials.list() }),
  );

  app.post(
    '/v1/credentials',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Create a credential; its secret is shown once, in this answer',
        tags: ['auth'],
        body: Type.Object(
          { roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([CredentialSchema, Type.Object({ clientSecret: Type.String() })]), ...errors },
      },
    },
    async (request, reply) => {
      const created = await credentials.create(request.body.roles);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/v1/credentials/:clientId',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Revoke a credential and every access token issued to it',
        tags: ['auth'],
        params: Type.Object({ clientId: Type.String() }),
        response: { 204: Type.Null(), 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
      },
    },
    async (request, reply) => {
      const target = await credentials.find(request.params.clientId);
      if (!target) throw new ApiError(404, 'credential_not_found', `There is no credential ${request.params.clientId}.`);
      if (target.roles.includes('workbench')) {
        const others = (await credentials.list()).filter((c) => c.clientId !== target.clientId && c.roles.includes('workbench'));
        if (others.length === 0) {
          throw new ApiError(409, 'last_workbench_credential', 'This is the last credential with the workbench role; create another first.');
        }
      }
      await credentials.delete(target.clientId);
      resolver.forget();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/token',
    {
      config: { role: 'auth' },
      schema: {
        summary: 'Mint an end-user token for the SDK',
        tags: ['auth'],
        body: Type.Object(
          {
            userId: Type.String({ minLength: 1, maxLength: 256 }),
            expiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: END_USER_MAX_SECONDS })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String() }), ...errors },
      },
    },
    async (request) => {
      const { token, expiresAt } = await tokens.issueEndUserToken(request.body.userId, request.body.expiresIn ?? END_USER_DEFAULT_SECONDS);
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },
  );
}
