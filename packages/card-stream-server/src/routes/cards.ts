// The Cards API (CONTRACT §4): query, count and action card instances.
import { Type, type Static } from '@sinclair/typebox';
import { CARD_STATES, type CardAction } from '../../../protocol/src/cards.js';
import { CardDefinitionSchema, CardOptionsSchema } from '../../../protocol/src/definition.js';
import { badRequest, ErrorBodySchema } from '../http/errors.js';
import { StringEnum } from '../http/schema-helpers.js';
import { FILTER_ATTRIBUTES, type CardFilter, type FilterAttribute } from '../cards/filter.js';
import { rowToCard } from '../cards/row.js';
import { snoozeUntil } from '../cards/snooze.js';
import type { App, Services } from './types.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const DEFAULT_ACTION_CAP = 500;

const Digits = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description });
const StatusSchema = StringEnum(CARD_STATES);

const Attribute = () => Type.Optional(Type.String({ maxLength: 256 }));
export const attributeSchemas = {
  eventName: Attribute(),
  lifecycleId: Attribute(),
  cardTemplateId: Attribute(),
  cardInstanceId: Attribute(),
  flowInstanceId: Attribute(),
  flowInvocationId: Attribute(),
  userId: Attribute(),
} satisfies Record<FilterAttribute, unknown>;

const FilterQuery = Type.Object({ ...attributeSchemas, status: Type.Optional(StatusSchema) }, { additionalProperties: false });
const ListQuery = Type.Object(
  { ...attributeSchemas, status: Type.Optional(StatusSchema), limit: Type.Optional(Digits('1 to 1000, default 100')), offset: Type.Optional(Digits('default 0')) },
  { additionalProperties: false },
);
const ActionQuery = Type.Object(
  {
    ...attributeSchemas,
    status: Type.Optional(StatusSchema),
    multiple: Type.Optional(StringEnum(['1', '0', 'true', 'false'])),
    limit: Type.Optional(Digits('cards changed by one request: default 500, at most 1000')),
    offset: Type.Optional(Digits('ignored by actions')),
  },
  { additionalProperties: false },
);

const CardSchema = Type.Object({
  eventName: Type.String(),
  eventSource: Type.Union([Type.Literal('live'), Type.Literal('test')]),
  cardTemplateId: Type.String(),
  cardTemplateName: Type.String(),
  cardTemplateVersion: Type.Integer(),
  cardInstanceId: Type.String(),
  lifecycleId: Type.String(),
  flowInstanceId: Type.String(),
  flowInvocationId: Type.String(),
  streamId: Type.String(),
  priority: Type.Integer(),
  definition: CardDefinitionSchema,
  payload: Type.Object({
    detail: Type.Record(Type.String(), Type.String()),
    target: Type.Object({ usersById: Type.Array(Type.String()) }),
    cardOptions: CardOptionsSchema,
    metadata: Type.Record(Type.String(), Type.Unknown()),
  }),
  status: StatusSchema,
  userId: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  embargoUntil: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  snoozedUntil: Type.Optional(Type.String()),
  completion: Type.Optional(Type.Object({ payload: Type.Unknown(), at: Type.String() })),
});

const ActionResultSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      eventName: Type.String(),
      eventSource: Type.String(),
      lifecycleId: Type.String(),
      cardTemplateId: Type.String(),
      cardInstanceId: Type.String(),
      userId: Type.String(),
      action: Type.String(),
    }),
  ),
  summary: Type.Object({ total: Type.Integer(), updated: Type.Integer() }),
});

const SnoozeBody = Type.Union([
  Type.Object({ until: Type.String({ description: 'ISO 8601 time' }) }, { additionalProperties: false }),
  Type.Object({ interval: Type.String({ description: 'ISO 8601 duration' }) }, { additionalProperties: false }),
]);

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema };

function toFilter(query: Static<typeof FilterQuery>): CardFilter {
  const filter: CardFilter = {};
  for (const name of Object.keys(FILTER_ATTRIBUTES) as FilterAttribute[]) {
    const value = query[name];
    if (value !== undefined) filter[name] = value;
  }
  if (query.status !== undefined) filter.status = query.status;
  return filter;
}

function limitFrom(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (n < 1 || n > MAX_LIMIT) throw badRequest('invalid_limit', `limit must be from 1 to ${MAX_LIMIT}; it was ${text}.`);
  return n;
}

export function cardRoutes(app: App, { cards }: Services): void {
  app.get(
    '/v1/cards',
    {
      config: { role: 'events' },
      schema: {
        summary: 'Query card instances, ordered by created then cardInstanceId',
        tags: ['cards'],
        querystring: ListQuery,
        response: { 200: Type.Object({ data: Type.Array(CardSchema) }), ...errors },
      },
    },
    async (request) => {
      const limit = limitFrom(request.query.limit, DEFAULT_LIMIT);
      const rows = await cards.query(toFilter(request.query), limit, Number(request.query.offset ?? 0));
      return { data: rows.map(rowToCard) };
    },
  );

  app.get(
    '/v1/cards/count',
    {
      config: { role: 'events' },
      schema: { summary: 'Count card instances', tags: ['cards'], querystring: FilterQuery, response: { 200: Type.Object({ total: Type.Integer() }), ...errors } },
    },
    async (request) => ({ total: await cards.count(toFilter(request.query)) }),
  );

  for (const action of ['dismiss', 'complete', 'snooze', 'cancel'] as const satisfies readonly CardAction[]) {
    app.put(
      `/v1/cards/${action}`,
      {
        config: { role: 'events' },
        schema: {
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} the cards that match`,
          description:
            'Without multiple=1 more than one eligible card is refused (400 multiple_matches). One request changes at most 500 cards, oldest first; limit raises that to 1000.',
          tags: ['cards'],
          querystring: ActionQuery,
          ...(action === 'snooze' ? { body: SnoozeBody } : action === 'complete' ? { body: Type.Unknown({ description: 'Optional JSON kept as completion.payload' }) } : {}),
          response: { 200: ActionResultSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
        },
      },
      async (request) => {
        const { multiple, limit } = request.query;
        const result = await cards.act(toFilter(request.query), action, {
          multiple: multiple === '1' || multiple === 'true',
          cap: limitFrom(limit, DEFAULT_ACTION_CAP),
          actionSource: 'customer',
          completionPayload: action === 'complete' ? request.body : undefined,
          snoozeUntil: action === 'snooze' ? snoozeUntil(request.body) : undefined,
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
