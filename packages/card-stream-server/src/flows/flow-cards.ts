// One flow of a send, made into cards (CONTRACT §5): the template's version with the flow's
// variables filled, its card options resolved, and a card row per user. Shared by sends to
// listed users (sender.ts) and to audiences (audiences/send-jobs.ts).
import type { CardPayload, CardStatus, EventSource } from '../../../protocol/src/cards.js';
import type { Flow } from '../../../protocol/src/flows.js';
import { derivedId, timeOrderedId } from '../ids.js';
import { checkCardOptions, resolveCardOptions, type ResolvedOptions } from '../cards/card-options.js';
import { nextDue, type CardRow } from '../cards/row.js';
import { makeContent, payloadFor, type Content } from '../cards/contents.js';
import type { TemplateVersion } from '../templates/repository.js';
import { InvalidInput } from '../errors.js';
import { fillPlaceholders, placeholdersIn } from './variables.js';

/** A flow checked and filled, ready to make cards at `now`. */
export interface PreparedFlow {
  template: TemplateVersion;
  eventName: string;
  variables: Record<string, string>;
  times: ResolvedOptions;
  status: CardStatus;
  /** What every card of the flow shares, stored once (cards/contents.ts). */
  content: Content;
  now: number;
}

function stringVariables(variables: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(variables ?? {}).map(([k, v]) => [k, String(v)]));
}

/** What every send of a template version reads of it, worked out once per version (versions never change). */
interface VersionParts {
  placeholders: string[];
  /** JSON `{ name: defaultValue }` of its runtime variables. */
  runtimeVariables: string;
  /**
   * Contents of the version's recent sends, by their payload's JSON: the same card sent to
   * users one request at a time (a welcome card at each sign-up) is filled and hashed once.
   */
  contents: Map<string, Content>;
}

/** Contents each template version keeps, the least recently made dropped first. */
const KEEP_CONTENTS = 100;

const versionParts = new WeakMap<TemplateVersion, VersionParts>();

function partsOf(template: TemplateVersion): VersionParts {
  let parts = versionParts.get(template);
  if (!parts) {
    parts = {
      placeholders: [...placeholdersIn(template.definition)],
      runtimeVariables: JSON.stringify(Object.fromEntries(template.runtimeVariables.map((v) => [v.name, v.defaultValue]))),
      contents: new Map(),
    };
    versionParts.set(template, parts);
  }
  return parts;
}

/** Checks flow `index` against the template (every `{{name}}` has a value, the options
 * parse and fit) and fills it; a bad one is an InvalidInput naming the field. */
export function prepareFlow(template: TemplateVersion, flow: Flow, index: number, now: number): PreparedFlow {
  const variables = stringVariables(flow.payload?.variables);
  const parts = partsOf(template);
  const missing = parts.placeholders.filter((name) => !Object.hasOwn(variables, name));
  if (missing.length) {
    throw new InvalidInput('missing_variables', `flows[${index}] has no value for: ${missing.join(', ')}.`, `flows[${index}].payload.variables`);
  }
  checkCardOptions(flow.payload?.cardOptions, `flows[${index}].payload.cardOptions`);
  const times = resolveCardOptions(template.cardOptions, template.definition.priority, flow.payload?.cardOptions, now);
  return {
    template,
    eventName: flow.eventName ?? '',
    variables,
    times,
    status: times.embargoUntil !== null ? 'embargoed' : 'active',
    content: contentOf(template, parts, { detail: variables, cardOptions: times.options, metadata: flow.payload?.metadata ?? {} }),
    now,
  };
}

/** The content of a send of `template` with `payload` (its `detail` being the send's variables). */
function contentOf(template: TemplateVersion, parts: VersionParts, payload: Omit<CardPayload, 'target'> & { detail: Record<string, string> }): Content {
  const key = JSON.stringify(payload);
  let content = parts.contents.get(key);
  if (!content) {
    content = makeContent(template.name, JSON.stringify(fillPlaceholders(template.definition, payload.detail)), parts.runtimeVariables, payload);
    if (parts.contents.size >= KEEP_CONTENTS) parts.contents.delete(parts.contents.keys().next().value as string);
    parts.contents.set(key, content);
  }
  return content;
}

/** The card of `flow` for `userId`; its id is `cardInstanceId` when given (a send's first card: `firstCard`). */
export function flowCard(flow: PreparedFlow, flowInvocationId: string, source: EventSource, userId: string, cardInstanceId = timeOrderedId()): CardRow {
  const { template, times, status, now, content } = flow;
  const row: CardRow = {
    card_instance_id: cardInstanceId,
    lifecycle_id: derivedId(cardInstanceId, 'lifecycle') as string,
    flow_instance_id: derivedId(cardInstanceId, 'flowInstance') as string,
    flow_invocation_id: flowInvocationId,
    card_template_id: template.id,
    card_template_name: content.row.card_template_name,
    card_template_version: template.version,
    event_name: flow.eventName,
    event_source: source,
    stream_id: template.streamId,
    priority: times.priority,
    content_key: content.row.key,
    own_payload: null,
    definition: content.row.definition,
    payload: payloadFor(content, userId),
    status,
    user_id: userId,
    created: now,
    updated: now,
    active_since: status === 'active' ? now : null,
    embargo_until: times.embargoUntil,
    expires_at: times.expiresAt,
    snoozed_until: null,
    completion: null,
    next_due: null,
    sent_by_job: null,
    change_seq: null,
    runtime_variables: content.row.runtime_variables,
  };
  row.next_due = nextDue(status, row);
  return row;
}

/** The id of a send's first card, and the send's flow-invocation id, made from it (ids.ts). */
export function firstCard(): { cardInstanceId: string; flowInvocationId: string } {
  const cardInstanceId = timeOrderedId();
  return { cardInstanceId, flowInvocationId: derivedId(cardInstanceId, 'flowInvocation') as string };
}
