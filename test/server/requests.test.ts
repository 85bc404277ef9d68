// Bad input (CONTRACT §3), templates and sending (CONTRACT §5), against a real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshStore, publishedTemplate, send, startServer, type TestServer, type TestStore } from './harness.js';

describe('requests, templates and sending', () => {
  let store: TestStore;
  let server: TestServer;

  before(async () => {
    store = await freshStore('sqlite');
    server = await startServer(store.options);
  });
  after(async () => {
    await server.close();
    await store.drop();
  });

  const snapshot = async () => {
    const db = server.platform.services.store.db;
    const count = async (table: 'cards' | 'card_templates' | 'card_template_versions' | 'analytics_events') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return [await count('cards'), await count('card_templates'), await count('card_template_versions'), await count('analytics_events')];
  };

  test('malformed JSON, wrong types, unknown fields and over-long bodies get 4xx and change nothing', async () => {
    const templateId = await publishedTemplate(server);
    const before = await snapshot();
    const cases: [string, string, unknown, number][] = [
      ['POST', '/v1/card-templates', '{"name": "x", ', 400],
      ['POST', '/v1/card-templates', { name: 5, definition: { blocks: [] } }, 400],
      ['POST', '/v1/card-templates', { name: 'x', definition: { blocks: [{ type: 'marquee', content: 'hi' }] } }, 400],
      ['POST', '/v1/card-templates', { name: 'x', definition: { blocks: [] }, colour: 'red' }, 400],
      ['POST', '/v1/card-templates', { name: 'x', definition: { blocks: [], priority: 11 } }, 400],
      ['PUT', `/v1/card-templates/${templateId}`, { name: 'x' }, 400],
      ['POST', `/v1/action-flows/${templateId}/start`, { flows: [{ target: { type: 'user', targetUserIds: 'u1' } }] }, 400],
      ['POST', `/v1/action-flows/${templateId}/start`, '[1, 2', 400],
      ['POST', `/v1/action-flows/${templateId}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['u1'] }, payload: { variables: { name: 'x' }, cardOptions: { priority: 'high' } } }] }, 400],
      ['POST', '/v1/card-templates', JSON.stringify({ name: 'x', definition: { blocks: [{ type: 'text', content: 'a'.repeat(1_100_000) }] } }), 413],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await server.api(method, path, body);
      assert.equal(res.status, status, `${method} ${path} ${String(typeof body === 'string' ? body.slice(0, 30) : JSON.stringify(body)).slice(0, 80)}`);
      assert.equal(typeof res.body.error.code, 'string');
      assert.ok(res.body.error.message.length > 10);
    }
    // A block that fails its own kind is named by what is wrong with it, not by the first
    // kind of block it is not (Ajv reports every branch of a union).
    const blockErrors: [unknown, RegExp][] = [
      [{ type: 'image', url: 'https://a', alt: 'a', height: 'huge' }, /"definition\.blocks\.0\.height" must be one of: tall, medium, short, original/],
      [{ type: 'text', content: 'x', size: 'xl' }, /"definition\.blocks\.0\.size" must be one of: sm, md, lg/],
      [{ type: 'text', content: 'x'.repeat(10_001) }, /"definition\.blocks\.0\.content" must NOT have more than 10000 characters/],
      [{ type: 'divider', foo: 1 }, /Unknown field "definition\.blocks\.0\.foo"/],
      [{ type: 'button', buttons: [{ id: 'b', label: 'x', action: { type: 'eval' } }] }, /"definition\.blocks\.0\.buttons\.0\.action\.type" must be one of: submit, link/],
      [{ type: 'marquee' }, /"definition\.blocks\.0\.type" must be one of: headline, text/],
      ['just text', /"definition\.blocks\.0" must be an object/],
    ];
    for (const [block, message] of blockErrors) {
      const res = await server.api('POST', '/v1/card-templates', { name: 'x', definition: { blocks: [block] } });
      assert.equal(res.status, 400, JSON.stringify(block).slice(0, 60));
      assert.match(res.body.error.message, message);
    }
    const target = await server.api('POST', `/v1/action-flows/${templateId}/start`, { flows: [{ target: { type: 'nobody' } }] });
    assert.match(target.body.error.message, /"flows\.0\.target\.type" must be one of: user, tag, segment, filter, all/);
    // A snooze button's interval is a duration (CONTRACT §3), or a variable filled when sent.
    const snoozeFor = (interval: string) => ({
      name: 'snooze',
      definition: { blocks: [{ type: 'button', buttons: [{ id: 'later', label: 'Later', action: { type: 'snooze', interval } }] }] },
    });
    const soon = await server.api('POST', '/v1/card-templates', snoozeFor('soon'));
    assert.equal(soon.status, 400);
    assert.equal(soon.body.error.code, 'invalid_duration');
    assert.match(soon.body.error.message, /"later".*"soon"/);
    // Valid JSON with a key that would reach a prototype is refused as such, not as bad JSON.
    for (const body of ['{"name":"x","__proto__":{"admin":true},"definition":{"blocks":[]}}', '{"name":"x","definition":{"blocks":[],"constructor":{"prototype":{}}}}']) {
      const res = await server.api('POST', '/v1/card-templates', body);
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error.code, 'forbidden_key', body);
      assert.match(res.body.error.message, /__proto__/);
    }
    assert.equal((await server.api('POST', '/v1/card-templates', '{"name": "x", ')).body.error.code, 'invalid_json');
    assert.deepEqual(await snapshot(), before);
    for (const interval of ['PT1H', '{{later}}']) assert.equal((await server.api('POST', '/v1/card-templates', snoozeFor(interval))).status, 201, interval);
    const unknownRoute = await server.api('GET', '/v1/nothing-here');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.body.error.code, 'not_found');
  });

  test('templates have versions; start sends the published one, test the latest', async () => {
    const created = await server.api('POST', '/v1/card-templates', {
      name: 'Offer',
      streamId: 'offers',
      definition: { priority: 3, blocks: [{ type: 'headline', content: 'v1' }, { type: 'button', buttons: [{ id: 'go', label: 'Go', action: { type: 'link', url: 'https://example.com' } }] }] },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    assert.equal(created.body.published, false);
    assert.equal(created.body.publishedVersion, null);
    assert.ok(created.body.definition.blocks.every((b: { id?: string }) => typeof b.id === 'string' && b.id.length > 0), 'block ids generated');
    const id = created.body.id;

    const refused = await send(server, id, ['u1'], {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'template_not_published');
    const testSend = await send(server, id, ['u1'], {}, 'test');
    assert.equal(testSend.status, 201);
    const testCard = (await server.api('GET', `/v1/cards?cardInstanceId=${testSend.body.cards[0].cardInstanceId}`)).body.data[0];
    assert.equal(testCard.eventSource, 'test');
    assert.equal(testCard.streamId, 'offers');
    assert.equal(testCard.priority, 3);

    assert.equal((await server.api('POST', `/v1/card-templates/${id}/publish`)).body.publishedVersion, 1);
    const v2 = await server.api('PUT', `/v1/card-templates/${id}`, { name: 'Offer', streamId: 'offers', definition: { blocks: [{ type: 'headline', content: 'v2' }] } });
    assert.equal(v2.body.version, 2);
    assert.equal(v2.body.published, false);
    assert.equal(v2.body.publishedVersion, 1);

    const live = await send(server, id, ['u2'], {});
    const liveCard = (await server.api('GET', `/v1/cards?cardInstanceId=${live.body.cards[0].cardInstanceId}`)).body.data[0];
    assert.equal(liveCard.cardTemplateVersion, 1);
    assert.equal(liveCard.definition.blocks[0].content, 'v1');
    const latest = await send(server, id, ['u2'], {}, 'test');
    const latestCard = (await server.api('GET', `/v1/cards?cardInstanceId=${latest.body.cards[0].cardInstanceId}`)).body.data[0];
    assert.equal(latestCard.cardTemplateVersion, 2);
    assert.equal(latestCard.definition.blocks[0].content, 'v2');
    assert.equal((await server.api('GET', `/v1/card-templates/${id}`)).body.version, 2);
    assert.ok((await server.api('GET', '/v1/card-templates')).body.data.some((t: { id: string }) => t.id === id));
    assert.equal((await server.api('GET', '/v1/card-templates/missing')).status, 404);
  });

  test('variables: {{name}} is filled once, !{name} is kept, missing names are listed', async () => {
    const created = await server.api('POST', '/v1/card-templates', {
      name: 'Vars',
      definition: { blocks: [{ type: 'text', content: 'Hi {{first}} {{last}}, your balance is !{balance}' }] },
      runtimeVariables: [{ name: 'balance', defaultValue: 'unknown' }],
    });
    const id = created.body.id;
    await server.api('POST', `/v1/card-templates/${id}/publish`);
    const missing = await send(server, id, ['u1'], { variables: { first: 'Ada' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'missing_variables');
    assert.match(missing.body.error.message, /last/);
    const ok = await send(server, id, ['u1'], { variables: { first: '{{last}}', last: 'Lovelace' } });
    assert.equal(ok.status, 201);
    const card = (await server.api('GET', `/v1/cards?cardInstanceId=${ok.body.cards[0].cardInstanceId}`)).body.data[0];
    assert.equal(card.definition.blocks[0].content, 'Hi {{last}} Lovelace, your balance is !{balance}');
  });

  test('priority: payload, then template options, then definition, then 5', async () => {
    const id = await publishedTemplate(server, { cardOptions: { priority: 2 } });
    const fromTemplate = await send(server, id, ['p1']);
    const fromPayload = await send(server, id, ['p1'], { variables: { name: 'x' }, cardOptions: { priority: 9 } });
    const get = async (r: { body: { cards: { cardInstanceId: string }[] } }) =>
      (await server.api('GET', `/v1/cards?cardInstanceId=${r.body.cards[0]?.cardInstanceId}`)).body.data[0].priority;
    assert.equal(await get(fromTemplate), 2);
    assert.equal(await get(fromPayload), 9);
  });

  test('10,000 targets in one request are sent; 10,001 are refused and nothing is sent', async () => {
    const id = await publishedTemplate(server);
    const users = Array.from({ length: 10_001 }, (_, i) => `many-${i}`);
    const before = await snapshot();
    const tooMany = await send(server, id, users);
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.code, 'too_many_targets');
    assert.deepEqual(await snapshot(), before);
    const ok = await send(server, id, users.slice(0, 10_000));
    assert.equal(ok.status, 201);
    assert.equal(ok.body.cards.length, 10_000);
    assert.equal((await server.api('GET', `/v1/cards/count?flowInvocationId=${ok.body.flowInvocationId}`)).body.total, 10_000);
  });

  test('GET /openapi.json documents every route with its schemas', async () => {
    const doc = (await server.api('GET', '/openapi.json', undefined, null)).body;
    assert.equal(doc.openapi, '3.0.3');
    assert.ok(doc.paths['/v1/cards'].get.parameters.some((p: { name: string }) => p.name === 'lifecycleId'));
    assert.ok(doc.paths['/v1/card-templates'].post.requestBody.content['application/json'].schema.properties.definition);
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  });
});
