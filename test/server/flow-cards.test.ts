// A send's flow made ready (flows/flow-cards.ts): its content is what the template and the
// payload make, made once for a payload sent again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareFlow } from '../../packages/card-stream-server/src/flows/flow-cards.js';
import { makeContent } from '../../packages/card-stream-server/src/cards/contents.js';
import type { TemplateVersion } from '../../packages/card-stream-server/src/templates/repository.js';

const template = {
  id: 'tpl-flow-cards',
  version: 3,
  name: 'Welcome',
  streamId: 'default',
  definition: { priority: 4, blocks: [{ type: 'headline', content: 'Hello {{name}}' }] },
  runtimeVariables: [{ name: 'balance', defaultValue: '0' }],
  cardOptions: {},
} as unknown as TemplateVersion;

const flow = (name: string, metadata?: Record<string, unknown>) => ({ target: { type: 'user' as const, targetUserIds: ['u'] }, payload: { variables: { name }, ...(metadata ? { metadata } : {}) } });

test('a payload sent again reuses the content made for it; another payload gets its own, as made from scratch', () => {
  const now = Date.now();
  const first = prepareFlow(template, flow('Ada'), 0, now).content;
  assert.equal(prepareFlow(template, flow('Ada'), 0, now + 5).content, first, 'the same payload: the same content, not made again');
  const scratch = makeContent('Welcome', JSON.stringify({ priority: 4, blocks: [{ type: 'headline', content: 'Hello Ada' }] }), '{"balance":"0"}', {
    detail: { name: 'Ada' },
    cardOptions: { priority: 4 },
    metadata: {},
  });
  assert.deepEqual(first, scratch);
  for (const other of [flow('Bob'), flow('Ada', { campaign: 'x' })]) {
    const content = prepareFlow(template, other, 0, now).content;
    assert.notEqual(content.row.key, first.row.key);
  }
  assert.equal(prepareFlow(template, flow('Bob'), 0, now).content.row.definition, '{"priority":4,"blocks":[{"type":"headline","content":"Hello Bob"}]}');
});
