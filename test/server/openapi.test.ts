// The OpenAPI document (GET /openapi.json) is generated from the shared wire shapes in
// packages/protocol, and passes `redocly lint` (recommended rules) with no error and no
// warning, so generated clients and Insomnia/Postman imports get readable operations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardSchema } from '../../packages/protocol/src/cards.js';
import { SdkCardSchema } from '../../packages/protocol/src/sdk.js';
import { closeServer, openServer, type TestServer, type TestStore } from './harness.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema: Record<string, any> }> }>;
}

describe('OpenAPI document', () => {
  let store: TestStore;
  let server: TestServer;
  let doc: { paths: Record<string, Record<string, Operation>>; servers?: unknown[]; info: { license?: unknown } };
  before(async () => {
    ({ store, server } = await openServer('sqlite'));
    doc = (await server.api('GET', '/openapi.json', undefined, null)).body;
  });
  after(() => closeServer(server, store));

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );

  test('every operation has a unique operationId, a summary, a tag and a documented 4xx', () => {
    const ids = new Set<string>();
    for (const { route, op } of operations()) {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${route}: operationId`);
      assert.ok(!ids.has(op.operationId as string), `${route}: operationId ${op.operationId} is used twice`);
      ids.add(op.operationId as string);
      assert.ok(op.summary, `${route}: summary`);
      assert.ok(op.tags?.length, `${route}: tags`);
      assert.ok(Object.keys(op.responses).some((code) => /^4\d\d$/.test(code)), `${route}: a 4xx response`);
    }
    assert.ok(ids.size >= 40, `${ids.size} operations`);
  });

  test('the shapes come from packages/protocol: a card and an SDK card list their schema fields', () => {
    const listed = doc.paths['/v1/cards']?.get?.responses['200']?.content?.['application/json']?.schema.properties.data.items;
    assert.deepEqual(Object.keys(listed.properties).sort(), Object.keys(CardSchema.properties).sort());
    const feed = doc.paths['/v1/sdk/streams/{streamId}/cards']?.get?.responses['200']?.content?.['application/json']?.schema as Record<string, any>;
    assert.deepEqual(Object.keys(feed.properties.cards.items.properties).sort(), Object.keys(SdkCardSchema.properties).sort());
  });

  test('redocly lint (recommended rules): 0 errors, 0 warnings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      const lint = spawnSync(process.execPath, ['node_modules/@redocly/cli/bin/cli.js', 'lint', '--format=json', file], {
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        timeout: 120_000,
      });
      const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      const problems = report.problems.map((p) => `${p.ruleId}: ${p.message}`);
      assert.deepEqual(report.totals.errors, 0, problems.join('\n'));
      assert.deepEqual(report.totals.warnings, 0, problems.join('\n'));
      assert.equal(lint.status, 0, lint.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
