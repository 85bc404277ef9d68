// custom-elements.json (CONTRACT §0), as `npm run build` generates it from the elements'
// JSDoc: both tags, every attribute and property, every cs- event with its detail type,
// every part and CSS custom property the contract names (§8, §8a), and nothing internal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Declaration {
  tagName?: string;
  customElement?: boolean;
  attributes?: { name: string }[];
  members?: { kind: string; name: string; privacy?: string }[];
  events?: { name: string; type?: { text: string } }[];
  cssParts?: { name: string }[];
  cssProperties?: { name: string }[];
}

const manifest = JSON.parse(readFileSync('packages/card-stream/custom-elements.json', 'utf8')) as { modules: { declarations?: Declaration[] }[] };
const elements = new Map(manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.customElement).map((d) => [d.tagName, d]));
const names = (list: { name: string }[] | undefined) => new Set((list ?? []).map((x) => x.name));

// The contract's lists (§8, §8a).
const STREAM_ATTRIBUTES = ['api-base', 'stream', 'channel', 'mode', 'transport', 'poll-interval', 'theme', 'session-url', 'locale', 'page-size', 'filter'];
const STREAM_PROPERTIES = ['sessionDelegate', 'runtimeVariables', 'strings', 'filter'];
const STREAM_EVENTS: Record<string, string> = { 'cs-event': 'AnalyticsEvent', 'cs-count': 'CsCountDetail', 'cs-action': 'CsActionDetail', 'cs-state': 'CsStateDetail' };
const STREAM_PARTS = ['card', 'menu-button', 'menu-item', 'snooze-option', 'vote-reason', 'button', 'empty', 'launcher', 'launcher-count', 'panel', 'position', 'scroll-prev', 'scroll-next', 'load-more'];

test('custom-elements.json names both tags and the contract\'s attributes, properties, events, parts and CSS properties', () => {
  const stream = elements.get('card-stream');
  const count = elements.get('card-count');
  assert.ok(stream && count, `tags: ${[...elements.keys()].join(', ')}`);
  for (const attribute of STREAM_ATTRIBUTES) assert.ok(names(stream.attributes).has(attribute), `<card-stream ${attribute}>`);
  for (const attribute of ['stream', 'api-base', 'session-url', 'unseen']) assert.ok(names(count.attributes).has(attribute), `<card-count ${attribute}>`);
  const fields = new Set((stream.members ?? []).filter((m) => m.kind === 'field').map((m) => m.name));
  for (const property of STREAM_PROPERTIES) assert.ok(fields.has(property), `card-stream.${property}`);
  assert.deepEqual(
    Object.fromEntries((stream.events ?? []).map((e) => [e.name, e.type?.text])),
    Object.fromEntries(Object.entries(STREAM_EVENTS).map(([name, detail]) => [name, `CustomEvent<${detail}>`])),
    'the cs- events with their detail types, and no other',
  );
  for (const part of STREAM_PARTS) assert.ok(names(stream.cssParts).has(part), `part ${part}`);
  assert.ok((stream.cssProperties ?? []).length >= 10 && [...names(stream.cssProperties)].every((p) => p.startsWith('--cs-')), 'the --cs- custom properties');
  for (const d of elements.values()) {
    assert.ok(!(d.members ?? []).some((m) => m.name.startsWith('#') || m.privacy === 'private'), `${d.tagName}: nothing private`);
  }
});
