// Time-ordered ids (packages/card-stream-server/src/ids.ts): what keeps the indexes on card and event ids
// growing at one edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeOrderedId } from '../../packages/card-stream-server/src/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('ids are UUIDv7 carrying the time, each sorting after the one before, never repeated', () => {
  const before = Date.now();
  const ids = Array.from({ length: 20_000 }, () => timeOrderedId());
  for (const id of ids) assert.match(id, UUID_V7);
  ids.forEach((id, i) => {
    if (i > 0) assert.ok(id > (ids[i - 1] as string), `${id} sorts after ${ids[i - 1]}`);
  });
  assert.equal(new Set(ids).size, ids.length);
  const ms = parseInt((ids[0] as string).replace('-', '').slice(0, 12), 16);
  assert.ok(ms >= before && ms <= Date.now() + 5, 'the first 48 bits are the time in ms');
});
