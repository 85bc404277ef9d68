// Action flows: one request sends a template's card to up to 10,000 users (CONTRACT §5).
// Everything is checked before anything is written, so a refused request changes nothing.
import { timeOrderedId } from '../ids.js';
import type { CardOptions, CardPayload, CardStatus, EventSource } from '../../../protocol/src/cards.js';
import { ApiError, badRequest, conflict, notFound } from '../http/errors.js';
import { platformEvent, type EventRow } from '../analytics/platform-events.js';
import type { TemplateRepository, TemplateVersion } from '../repo/templates.js';
import { parseDuration, parseInstant } from '../time.js';
import { fillPlaceholders, placeholdersIn } from './variables.js';
import { nextDue, type CardRow } from './row.js';
import type { CardRepository } from './repository.js';

export const MAX_TARGETS = 10_000;

export interface FlowRequest {
  eventName?: string;
  target: { type: 'user'; targetUserIds: string[] };
  payload?: {
    variables?: Record<string, string | number | boolean>;
    metadata?: Record<string, unknown>;
    cardOptions?: CardOptions;
  };
}

export interface SentCard {
  userId: string;
  cardInstanceId: string;
  lifecycleId: string;
  flowInstanceId: string;
  status: CardStatus;
}

export interface SendResult {
  flowInvocationId: string;
  cards: SentCard[];
}

interface ResolvedTimes {
  priority: number;
  embargoUntil: number | null;
  expiresAt: number | null;
  options: CardOptions;
}

/** Checks a card-options object on its own (template or send): each time and duration parses. */
export function checkCardOptions(options: CardOptions | undefined, where: string): void {
  if (!options) return;
  for (const key of ['expires', 'embargo'] as const) {
    const value = options[key];
    if (value !== undefined && parseInstant(value) === undefined) {
      throw badRequest('invalid_time', `${where}.${key} "${value}" is not an ISO 8601 time with Z or an offset.`);
    }
  }
  if (options.expiresInterval !== undefined && !parseDuration(options.expiresInterval)) {
    throw badRequest(
      'invalid_duration',
      `${where}.expiresInterval "${options.expiresInterval}" is not an ISO 8601 duration such as PT10S or P2D.`,
    );
  }
}

/** Payload options override the template's; priority falls back to the definition, then 5. */
function resolveOptions(template: TemplateVersion, payloadOptions: CardOptions | undefined, now: number): ResolvedTimes {
  const options: CardOptions = { ...template.cardOptions, ...payloadOptions };
  const priority = options.priority ?? template.definition.priority ?? 5;
  const embargo = options.embargo === undefined ? undefined : (parseInstant(options.embargo) as number);
  const expiries: number[] = [];
  if (options.expires !== undefined) expiries.push(parseInstant(options.expires) as number);
  if (options.expiresInterval !== undefined) expiries.push(now + (parseDuration(options.expiresInterval) as number));
  const expiresAt = expiries.length ? Math.min(...expiries) : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw badRequest('invalid_card_options', 'The card would expire before it is sent: set expires in the future.');
  }
  const embargoUntil = embargo !== undefined && embargo > now ? embargo : null;
  if (expiresAt !== null && embargo !== undefined && expiresAt <= embargo) {
    throw badRequest('invalid_card_options', 'The expiry is at or before the embargo, so the card would never show.');
  }
  return { priority, embargoUntil, expiresAt, options: { ...options, priority } };
}

function stringVariables(variables: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(variables ?? {}).map(([k, v]) => [k, String(v)]));
}

export class CardSender {
  constructor(
    private readonly templates: TemplateRepository,
    private readonly cards: CardRepository,
  ) {}

  async send(templateId: string, flows: FlowRequest[], source: EventSource): Promise<SendResult> {
    const targetCount = flows.reduce((n, f) => n + f.target.targetUserIds.length, 0);
    if (targetCount > MAX_TARGETS) {
      throw badRequest('too_many_targets', `${targetCount} target users; one request takes at most ${MAX_TARGETS}.`);
    }
    const template = await this.templates.version(templateId, source === 'live' ? 'published' : 'latest');
    if (template === 'no_template') throw notFound('template_not_found', `There is no card template ${templateId}.`);
    if (template === 'not_published') {
      throw conflict('template_not_published', 'This template has no published version: publish it, or send a test.');
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
      const missing = [...placeholders].filter((name) => !(name in variables));
      if (missing.length) {
        throw new ApiError(400, 'missing_variables', `flows[${index}] has no value for: ${missing.join(', ')}.`);
      }
      checkCardOptions(flow.payload?.cardOptions, `flows[${index}].payload.cardOptions`);
      const times = resolveOptions(template, flow.payload?.cardOptions, now);
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

    await this.cards.insert(rows, events);
    return { flowInvocationId, cards: sent };
  }
}
