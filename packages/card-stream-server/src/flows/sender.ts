// Action flows: one request sends a template's card to up to 10,000 users (CONTRACT §5).
// Everything is checked before anything is written, so a refused request changes nothing.
import { timeOrderedId } from '../ids.js';
import type { CardPayload, CardStatus, EventSource } from '../../../protocol/src/cards.js';
import { MAX_TARGETS, type Flow, type SendResult, type SentCard } from '../../../protocol/src/flows.js';
import { platformEvent, type EventRow } from '../analytics/platform-events.js';
import type { TemplateRepository } from '../templates/repository.js';
import { checkCardOptions, resolveCardOptions } from '../cards/card-options.js';
import { nextDue, type CardRow } from '../cards/row.js';
import type { CardRepository } from '../cards/repository.js';
import { InvalidInput, NotFound, InvalidState } from '../errors.js';
import { fillPlaceholders, placeholdersIn } from './variables.js';
import type { AlsoRecord } from '../store/also-record.js';

function stringVariables(variables: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(variables ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Sends a template's card to the users a request lists (docs/architecture.md, "A send"). */
export class FlowSender {
  constructor(
    private readonly templates: TemplateRepository,
    private readonly cards: CardRepository,
  ) {}

  /** `alsoRecord` writes, in the send's own transaction, what must exist exactly when the cards do. */
  async send(templateId: string, flows: Flow[], source: EventSource, alsoRecord?: AlsoRecord<SendResult>): Promise<SendResult> {
    const targetCount = flows.reduce((n, f) => n + f.target.targetUserIds.length, 0);
    if (targetCount > MAX_TARGETS) {
      throw new InvalidInput('too_many_targets', `${targetCount} target users; one request takes at most ${MAX_TARGETS}.`, 'flows');
    }
    const template = await this.templates.version(templateId, source === 'live' ? 'published' : 'latest');
    if (template === 'no_template') throw new NotFound('template_not_found', `There is no card template ${templateId}.`);
    if (template === 'not_published') {
      throw new InvalidState('template_not_published', 'This template has no published version: publish it, or send a test.');
    }

    const now = Date.now();
    const flowInvocationId = timeOrderedId();
    const placeholders = placeholdersIn(template.definition);
    const runtimeVariables = JSON.stringify(Object.fromEntries(template.runtimeVariables.map((v) => [v.name, v.defaultValue])));
    const rows: CardRow[] = [];
    const events: EventRow[] = [];
    const sent: SentCard[] = [];

    flows.forEach((flow, index) => {
      const variables = stringVariables(flow.payload?.variables);
      const missing = [...placeholders].filter((name) => !Object.hasOwn(variables, name));
      if (missing.length) {
        throw new InvalidInput('missing_variables', `flows[${index}] has no value for: ${missing.join(', ')}.`, `flows[${index}].payload.variables`);
      }
      checkCardOptions(flow.payload?.cardOptions, `flows[${index}].payload.cardOptions`);
      const times = resolveCardOptions(template.cardOptions, template.definition.priority, flow.payload?.cardOptions, now);
      const definition = fillPlaceholders(template.definition, variables);
      const definitionText = JSON.stringify(definition);
      const status: CardStatus = times.embargoUntil !== null ? 'embargoed' : 'active';
      for (const userId of new Set(flow.target.targetUserIds)) {
        const payload: CardPayload = {
          detail: variables,
          target: { usersById: [userId] },
          cardOptions: times.options,
          metadata: flow.payload?.metadata ?? {},
        };
        const row: CardRow = {
          card_instance_id: timeOrderedId(),
          lifecycle_id: timeOrderedId(),
          flow_instance_id: timeOrderedId(),
          flow_invocation_id: flowInvocationId,
          card_template_id: template.id,
          card_template_name: template.name,
          card_template_version: template.version,
          event_name: flow.eventName ?? '',
          event_source: source,
          stream_id: template.streamId,
          priority: times.priority,
          definition: definitionText,
          payload: JSON.stringify(payload),
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
          runtime_variables: runtimeVariables,
        };
        row.next_due = nextDue(status, row);
        rows.push(row);
        events.push(
          platformEvent(row, 'action-flow-started', now, 'customer'),
          platformEvent(row, status === 'active' ? 'card-published' : 'card-embargoed', now, 'customer'),
          platformEvent(row, 'action-flow-completed', now, 'customer'),
        );
        sent.push({
          userId,
          cardInstanceId: row.card_instance_id,
          lifecycleId: row.lifecycle_id,
          flowInstanceId: row.flow_instance_id,
          status,
        });
      }
    });

    const result: SendResult = { flowInvocationId, cards: sent };
    await this.cards.insert(rows, events, alsoRecord && ((tx) => alsoRecord(tx, result)));
    return result;
  }
}
