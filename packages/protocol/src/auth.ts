// Authentication (CONTRACT §2): access tokens, credentials and end-user tokens.
import { Type, type Static } from '@sinclair/typebox';
import { ListSchema, StringEnum } from './common.js';

export const ROLES = ['events', 'workbench', 'auth'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = StringEnum(ROLES);

/** Access tokens last this long (seconds). */
export const ACCESS_TOKEN_SECONDS = 3600;
/** End-user tokens: the default and the longest lifetime (seconds). */
export const END_USER_DEFAULT_SECONDS = 3600;
export const END_USER_MAX_SECONDS = 604_800;

/** `POST /oauth/token`, as form fields or JSON (the id and secret may come as Basic auth). */
export const TokenRequestSchema = Type.Object({
  grant_type: Type.String(),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
});
export const TokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
});
export type TokenResponse = Static<typeof TokenResponseSchema>;

export const CredentialSchema = Type.Object({ clientId: Type.String(), roles: Type.Array(RoleSchema), created: Type.String() });
export type Credential = Static<typeof CredentialSchema>;
export const CredentialListSchema = ListSchema(CredentialSchema);

export const CredentialInputSchema = Type.Object(
  { roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }) },
  { additionalProperties: false },
);
/** A new credential: its secret is shown this once. */
export const CreatedCredentialSchema = Type.Object({ ...CredentialSchema.properties, clientSecret: Type.String() });
export type CreatedCredential = Static<typeof CreatedCredentialSchema>;

export const EndUserTokenRequestSchema = Type.Object(
  {
    userId: Type.String({ minLength: 1, maxLength: 256 }),
    expiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: END_USER_MAX_SECONDS, description: 'seconds, default 3600' })),
  },
  { additionalProperties: false },
);
export const EndUserTokenSchema = Type.Object({ token: Type.String(), expiresAt: Type.String() });
export type EndUserToken = Static<typeof EndUserTokenSchema>;
