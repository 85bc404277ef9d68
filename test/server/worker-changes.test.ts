// Card changes crossing from the job worker to the server's bus (job-worker/changes.ts):
// made small, cloned as postMessage clones them, and made whole again, every listener reads
// what it would have read of the change itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowCard, prepareFlow } from '../../packages/card-stream-server/src/flows/flow-cards.js';
import { packChanges, unpackChanges } from '../../packages/card-stream-server/src/job-worker/changes.js';
import { slimChange, type CardChange } from '../../packages/card-stream-server/src/cards/change-bus.js';
import type { CardRow } from '../../packages/card-stream-server/src/cards/row.js';
import type { TemplateVersion } from '../../packages/card-stream-server/src/templates/repository.js';

const template = {
  id: 'tpl-worker-changes',
  version: 1,
  name: 'Offer',
  streamId: 'default',
  definition: { blocks: [{ type: 'headline', content: 'Hi {{name}}' }] },
  runtimeVariables: [{ name: 'balance', defaultValue: '0' }],
  cardOptions: {},
} as unknown as TemplateVersion;

const flowFor = (name: string) => prepareFlow(template, { target: { type: 'tag', tags: ['t'] }, payload: { variables: { name }, metadata: { campaign: name } } }, 0, Date.now());

test("a job page's changes cross as columns by content and read back as the cards they were", () => {
  const ada = flowFor('Ada');
  const bob = flowFor('Bob');
  const cards: CardRow[] = [
    ...Array.from({ length: 5 }, (_, i) => flowCard(ada, 'inv-1', 'live', `user-${i}`)),
    ...Array.from({ length: 3 }, (_, i) => flowCard(bob, 'inv-1', 'live', `other-"${i}"`)),
  ];
  cards[6]!.priority = 9; // a field that differs within a content
  const own = { ...flowCard(ada, 'inv-1', 'live', 'owner'), own_payload: '{"kept":true}', payload: '{"kept":true}' };
  const cancelled = { ...flowCard(ada, 'inv-1', 'live', 'gone'), status: 'cancelled', next_due: null };
  const changes: CardChange[] = [...cards, own, cancelled].map((card, i) => ({ card, seq: i + 1, ...(i === 2 ? { previousStatus: 'embargoed' } : {}) }));

  const packed = packChanges(changes);
  assert.equal(packed.byContent.length, 2, 'one group a content');
  assert.deepEqual(Object.keys(packed.byContent[0]!.columns).sort(), ['card_instance_id', 'flow_instance_id', 'lifecycle_id', 'user_id'], 'only what differs is a column');
  const occurrences = (text: string) => JSON.stringify(packed).split(text).length - 1;
  assert.deepEqual([occurrences('Hi Bob'), occurrences('Hi Ada')], [1, 2], "a definition crosses once a content (Ada's again with the card that has a payload of its own)");

  const back = unpackChanges(structuredClone(packed));
  const bySeq = new Map(back.map((change) => [change.seq, change]));
  assert.equal(back.length, changes.length);
  for (const change of changes) {
    const got = bySeq.get(change.seq)!;
    const expected = slimChange(change);
    assert.equal(got.previousStatus, expected.previousStatus);
    for (const field of Object.keys(expected.card) as (keyof CardRow)[]) assert.deepEqual((got.card as CardRow)[field], (expected.card as CardRow)[field], `${field} of seq ${change.seq}`);
  }
  assert.equal((bySeq.get(1)!.card as CardRow).payload, cards[0]!.payload, 'the payload is the content addressed to the card\'s user');
  assert.equal((bySeq.get(7)!.card as CardRow).priority, 9);
});
