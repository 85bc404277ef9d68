// Authentication and roles (CONTRACT §2) against a real listening server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, SignJWT } from 'jose';
import { BOOTSTRAP_KEY, freshStore, holdWrite, startServer, type TestServer, type TestStore } from './harness.js';

/** The role every route needs; a route missing here fails the sweep below. */
const ROUTE_ROLES: Record<string, string | null> = {
  'POST /oauth/token': null,
  'GET /v1/credentials': 'workbench',
  'POST /v1/credentials': 'workbench',
  'DELETE /v1/credentials/{clientId}': 'workbench',
  'POST /v1/auth/token': 'auth',
  'POST /v1/card-templates': 'workbench',
  'GET /v1/card-templates': 'workbench',
  'GET /v1/card-templates/{id}': 'workbench',
  'PUT /v1/card-templates/{id}': 'workbench',
  'POST /v1/card-templates/{id}/publish': 'workbench',
  'POST /v1/action-flows/{flowConfigId}/start': 'events',
  'POST /v1/action-flows/{flowConfigId}/test': 'events',
  'GET /v1/cards': 'events',
  'GET /v1/cards/count': 'events',
  'PUT /v1/cards/dismiss': 'events',
  'PUT /v1/cards/complete': 'events',
  'PUT /v1/cards/snooze': 'events',
  'PUT /v1/cards/cancel': 'events',
  'POST /v1/cancel-jobs/preview': 'workbench',
  'POST /v1/cancel-jobs': 'workbench',
  'GET /v1/cancel-status/{id}': 'workbench',
  'GET /v1/analytics/events': 'workbench',
  'GET /v1/analytics/export': 'workbench',
  'GET /v1/analytics/insights': 'workbench',
  'POST /v1/webhooks': 'workbench',
  'GET /v1/webhooks': 'workbench',
  'DELETE /v1/webhooks/{id}': 'workbench',
  'PUT /v1/users/{userId}': 'events',
  'GET /v1/users/{userId}': 'events',
  'DELETE /v1/users/{userId}': 'events',
  'POST /v1/users/batch': 'events',
  'GET /v1/users': 'events',
  'POST /v1/segments': 'workbench',
  'GET /v1/segments': 'workbench',
  'GET /v1/segments/{id}': 'workbench',
  'PUT /v1/segments/{id}': 'workbench',
  'DELETE /v1/segments/{id}': 'workbench',
  'GET /v1/segments/{id}/count': 'workbench',
  'GET /v1/send-jobs/{id}': 'events',
  'POST /api/v1/channels': 'events',
  'GET /api/v1/channels': 'events',
  'DELETE /api/v1/channels/{channelId}': 'events',
  'POST /api/v1/channels/{channelId}/cards': 'events',
  'GET /api/v1/channels/{channelId}/cards': 'events',
  'PATCH /api/v1/channels/{channelId}/cards/{cardId}': 'events',
  'DELETE /api/v1/channels/{channelId}/cards/{cardId}': 'events',
  'GET /api/v1/channels/{channelId}/interactions': 'events',
  // Channels are public to anyone with the link.
  'GET /v1/sdk/channels/{channelId}/cards': null,
  'POST /v1/sdk/channels/{channelId}/cards/{cardId}/interactions': null,
  // SDK routes take an end-user token, never a platform credential.
  'GET /v1/sdk/streams/{streamId}/cards': 'endUser',
  'POST /v1/sdk/cards/{cardInstanceId}/actions': 'endUser',
  'POST /v1/sdk/events': 'endUser',
};

describe('authentication', () => {
  let store: TestStore;
  let server: TestServer;
  const secrets: Record<string, string> = {};
  const clientIds: Record<string, string> = {};

  before(async () => {
    store = await freshStore('sqlite');
    server = await startServer(store.options);
    for (const role of ['events', 'workbench', 'auth']) {
      const res = await server.api('POST', '/v1/credentials', { roles: [role] });
      assert.equal(res.status, 201);
      secrets[role] = res.body.clientSecret;
      clientIds[role] = res.body.clientId;
    }
  });
  after(async () => {
    await server.close();
    await store.drop();
  });

  test('every route in the OpenAPI document refuses a missing token (401) and a wrong role (403 naming it)', async () => {
    const doc = (await server.api('GET', '/openapi.json', undefined, null)).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(routes.sort(), Object.keys(ROUTE_ROLES).sort(), 'the role table covers every documented route');
    for (const route of routes) {
      const role = ROUTE_ROLES[route];
      if (!role) continue;
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{[^}]+\}/g, 'x');
      if (role === 'endUser') {
        for (const auth of [null, BOOTSTRAP_KEY, 'not.a.jwt']) {
          const refused = await server.api(method, path, method === 'GET' ? undefined : {}, auth);
          assert.equal(refused.status, 401, `${route} with ${auth ?? 'no token'}`);
          assert.equal(refused.body.error.code, 'invalid_token');
        }
        continue;
      }
      const missing = await server.api(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, null);
      assert.equal(missing.status, 401, `${route} without a token`);
      assert.equal(missing.body.error.code, 'unauthorized');
      const bad = await server.api(method, path, undefined, 'not-a-real-secret');
      assert.equal(bad.status, 401, `${route} with a bad secret`);
      const other = Object.keys(secrets).find((r) => r !== role) as string;
      const wrong = await server.api(method, path, undefined, secrets[other]);
      assert.equal(wrong.status, 403, `${route} with role ${other}`);
      assert.match(wrong.body.error.message, new RegExp(`"${role}"`));
    }
  });

  test('POST /oauth/token takes form fields, JSON and Basic; the token works as a bearer', async () => {
    const form = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientIds.events as string, client_secret: secrets.events as string }),
    });
    assert.equal(form.status, 200);
    const token = (await form.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_in, 3600);
    assert.equal((await server.api('GET', '/v1/cards', undefined, token.access_token)).status, 200);
    assert.equal((await server.api('GET', '/v1/credentials', undefined, token.access_token)).status, 403);

    const json = await server.api('POST', '/oauth/token', { grant_type: 'client_credentials', client_id: clientIds.auth, client_secret: secrets.auth }, null);
    assert.equal(json.status, 200);
    const basic = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientIds.workbench}:${secrets.workbench}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(basic.status, 200);

    const wrong = await server.api('POST', '/oauth/token', { grant_type: 'client_credentials', client_id: clientIds.auth, client_secret: secrets.events }, null);
    assert.equal(wrong.status, 401);
    const grant = await server.api('POST', '/oauth/token', { grant_type: 'password', client_id: clientIds.auth, client_secret: secrets.auth }, null);
    assert.equal(grant.status, 400);
  });

  test('credentials: the secret is shown once and stored hashed; a deleted credential stops working', async () => {
    const created = await server.api('POST', '/v1/credentials', { roles: ['events'] });
    const { clientId, clientSecret } = created.body;
    const list = await server.api('GET', '/v1/credentials');
    const listed = list.body.data.find((c: { clientId: string }) => c.clientId === clientId);
    assert.deepEqual(Object.keys(listed).sort(), ['clientId', 'created', 'roles']);
    const row = await server.platform.services.store.db.selectFrom('credentials').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
    assert.notEqual(row.secret_hash, clientSecret);
    assert.ok(!row.secret_hash.includes(clientSecret));
    assert.equal((await server.api('GET', '/v1/cards', undefined, clientSecret)).status, 200);
    assert.equal((await server.api('DELETE', `/v1/credentials/${clientId}`)).status, 204);
    assert.equal((await server.api('GET', '/v1/cards', undefined, clientSecret)).status, 401);
    assert.equal((await server.api('DELETE', `/v1/credentials/${clientId}`)).status, 404);
    const badRole = await server.api('POST', '/v1/credentials', { roles: ['admin'] });
    assert.equal(badRole.status, 400);
  });

  test('end-user tokens: minted with sub and exp, capped at 7 days, and useless on platform routes', async () => {
    const res = await server.api('POST', '/v1/auth/token', { userId: 'user-42', expiresIn: 60 }, secrets.auth);
    assert.equal(res.status, 200);
    const claims = decodeJwt(res.body.token);
    assert.equal(claims.sub, 'user-42');
    assert.equal(typeof claims.exp, 'number');
    assert.ok(Math.abs(Date.parse(res.body.expiresAt) - (claims.exp as number) * 1000) < 1000);
    const defaulted = decodeJwt((await server.api('POST', '/v1/auth/token', { userId: 'u' }, secrets.auth)).body.token);
    assert.equal((defaulted.exp as number) - (defaulted.iat as number), 3600);
    assert.equal((await server.api('POST', '/v1/auth/token', { userId: 'u', expiresIn: 604_801 }, secrets.auth)).status, 400);
    assert.equal((await server.api('GET', '/v1/cards', undefined, res.body.token)).status, 401);

    const verify = server.platform.services.tokens;
    assert.deepEqual(await verify.verifyEndUserToken(res.body.token), { userId: 'user-42', expiresAt: (claims.exp as number) * 1000 });
    const jwtSecret = (await server.platform.services.store.db.selectFrom('settings').select('value').where('key', '=', 'jwt_secret').executeTakeFirstOrThrow()).value;
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-42').sign(new TextEncoder().encode(jwtSecret));
    assert.deepEqual(await verify.verifyEndUserToken(noExp), { error: 'invalid' });
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-42').setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(new TextEncoder().encode(jwtSecret));
    assert.deepEqual(await verify.verifyEndUserToken(expired), { error: 'expired' });
  });

  test('the bootstrap key is idempotent and the last workbench credential cannot be deleted', async () => {
    await server.platform.services.credentials.upsertWithSecret('bootstrap', BOOTSTRAP_KEY);
    const bootstraps = (await server.api('GET', '/v1/credentials')).body.data.filter((c: { clientId: string }) => c.clientId === 'bootstrap');
    assert.equal(bootstraps.length, 1);
    assert.deepEqual(bootstraps[0].roles, ['events', 'workbench', 'auth']);
    assert.equal((await server.api('DELETE', `/v1/credentials/${clientIds.workbench}`)).status, 204);
    const last = await server.api('DELETE', '/v1/credentials/bootstrap');
    assert.equal(last.status, 409);
    assert.equal((await server.api('GET', '/v1/cards')).status, 200);
  });
});

describe('credential lookups on SQLite', () => {
  test('a key not seen before is looked up while a write transaction is in progress (on the read connection)', async () => {
    const store = await freshStore('sqlite');
    const server = await startServer(store.options);
    let release = async () => {};
    try {
      const created = await server.api('POST', '/v1/credentials', { roles: ['events'] });
      assert.equal(created.status, 201);
      const held = await holdWrite(server);
      release = held.release;
      // The cards API itself reads on the read connection (analytics.test.ts has the same of the events API).
      const answer = await held.within('the credential lookup', server.api('GET', '/v1/cards?userId=nobody', undefined, created.body.clientSecret));
      assert.equal(answer.status, 200);
    } finally {
      await release();
      await server.close();
      await store.drop();
    }
  });
});
