// The Cards API (CONTRACT §4): query, count and action card instances.
import {
  CARD_ACTIONS,
  CardActionQuerySchema,
  CardActionResultSchema,
  CardCountSchema,
  CardFilterQuerySchema,
  CardListQuerySchema,
  CardListSchema,
  CompleteBodySchema,
  SnoozeBodySchema,
  type CardActionResult,
  type SnoozeBody,
} from '../../../protocol/src/cards.js';
import { InvalidInput } from '../errors.js';
import { filterOf } from '../cards/filter.js';
import { cardJson } from '../cards/row.js';
import { snoozeUntil } from '../cards/snooze.js';
import { errors, platformErrors, sendJsonText } from './responses.js';
import type { App, Services } from './types.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const DEFAULT_ACTION_CAP = 500;

function limitFrom(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (n < 1 || n > MAX_LIMIT) throw new InvalidInput('invalid_limit', `limit must be from 1 to ${MAX_LIMIT}; it was ${text}.`, 'limit');
  return n;
}

const capitalised = (word: string) => `${word[0]?.toUpperCase()}${word.slice(1)}`;

export function cardRoutes(app: App, { cards }: Pick<Services, 'cards'>): void {
  app.get(
    '/v1/cards',
    {
      config: { role: 'events' },
      schema: {
        operationId: 'listCards',
        summary: 'Query card instances, ordered by created then cardInstanceId',
        tags: ['cards'],
        querystring: CardListQuerySchema,
        response: { 200: CardListSchema, ...platformErrors },
      },
    },
    async (request, reply) => {
      const limit = limitFrom(request.query.limit, DEFAULT_LIMIT);
      const rows = await cards.query(filterOf(request.query), limit, Number(request.query.offset ?? 0));
      return sendJsonText(reply, `{"data":[${rows.map(cardJson).join(',')}]}`);
    },
  );

  app.get(
    '/v1/cards/count',
    {
      config: { role: 'events' },
      schema: {
        operationId: 'countCards',
        summary: 'Count card instances',
        tags: ['cards'],
        querystring: CardFilterQuerySchema,
        response: { 200: CardCountSchema, ...platformErrors },
      },
    },
    async (request) => ({ total: await cards.count(filterOf(request.query)) }),
  );

  for (const action of CARD_ACTIONS) {
    app.put(
      `/v1/cards/${action}`,
      {
        config: { role: 'events' },
        schema: {
          operationId: `${action}Cards`,
          summary: `${capitalised(action)} the cards that match`,
          description:
            'Without multiple=1 more than one eligible card is refused (400 multiple_matches). One request changes at most 500 cards, oldest first; limit raises that to 1000.',
          tags: ['cards'],
          querystring: CardActionQuerySchema,
          ...(action === 'snooze' ? { body: SnoozeBodySchema } : action === 'complete' ? { body: CompleteBodySchema } : {}),
          response: { 200: CardActionResultSchema, ...platformErrors, ...errors(404, 409) },
        },
      },
      async (request): Promise<CardActionResult> => {
        const { multiple, limit } = request.query;
        const result = await cards.act(filterOf(request.query), action, {
          multiple: multiple === '1' || multiple === 'true',
          cap: limitFrom(limit, DEFAULT_ACTION_CAP),
          actionSource: 'customer',
          completionPayload: action === 'complete' ? request.body : undefined,
          snoozeUntil: action === 'snooze' ? snoozeUntil(request.body as SnoozeBody | undefined) : undefined,
        });
        return {
          data: result.changed.map((row) => ({
            eventName: row.event_name,
            eventSource: row.event_source,
            lifecycleId: row.lifecycle_id,
            cardTemplateId: row.card_template_id,
            cardInstanceId: row.card_instance_id,
            userId: row.user_id,
            action,
          })),
          summary: { total: result.total, updated: result.changed.length },
        };
      },
    );
  }
}
