// Reading analytics (CONTRACT §7, role workbench): the events API, the NDJSON export and
// insights per card template.
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import { ANALYTICS_EVENT_NAMES, type AnalyticsEvent } from '../../../protocol/src/analytics.js';
import { badRequest, ErrorBodySchema } from '../http/errors.js';
import { StringEnum } from '../http/schema-helpers.js';
import { decodeCursor, encodeCursor, eventFilterFrom, timeAttribute } from '../analytics/events-query.js';
import { exportEvents } from '../analytics/export.js';
import type { App, Services } from './types.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const Text = (description: string) => Type.Optional(Type.String({ maxLength: 256, description }));
const filterSchemas = {
  analyticsEvent: Type.Optional(StringEnum(ANALYTICS_EVENT_NAMES, { description: 'an event name, e.g. card-displayed' })),
  endUserId: Text('the end user'),
  cardInstanceId: Text('the card'),
  lifecycleId: Text('the card lifecycle'),
  from: Text('ISO 8601 time, inclusive'),
  to: Text('ISO 8601 time, exclusive'),
};
const ExportQuery = Type.Object(filterSchemas, { additionalProperties: false });
const EventsQuery = Type.Object(
  {
    ...filterSchemas,
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: `1 to ${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })),
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
const InsightsQuery = Type.Object(
  { cardTemplateId: Text('one template; all templates with events when absent'), from: filterSchemas.from, to: filterSchemas.to },
  { additionalProperties: false },
);

const Context = Type.Record(Type.String(), Type.Unknown());
const EventSchema = Type.Object(
  {
    id: Type.String(),
    endUserId: Type.String(),
    analyticsEvent: StringEnum(ANALYTICS_EVENT_NAMES),
    timestamp: Type.String(),
    properties: Context,
    hostContext: Context,
    eventContext: Context,
    sdkContext: Context,
    streamContext: Context,
    cardContext: Context,
    platformContext: Context,
  },
  { description: 'An analytics event (CONTRACT §7, seed 003)' },
);
const InsightsSchema = Type.Object({
  cardTemplateId: Type.String(),
  sent: Type.Integer({ description: 'cards with card-published or card-embargoed' }),
  displayed: Type.Integer({ description: 'cards with card-displayed' }),
  completed: Type.Integer(),
  dismissed: Type.Integer(),
  snoozed: Type.Integer(),
  votedUp: Type.Integer(),
  votedDown: Type.Integer(),
  displayRate: Type.Number({ description: 'displayed / sent, 0 when nothing was sent' }),
  completionRate: Type.Number(),
  dismissRate: Type.Number(),
});

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema };

function limitFrom(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (n < 1 || n > MAX_LIMIT) throw badRequest('invalid_limit', `limit must be from 1 to ${MAX_LIMIT}; it was ${text}.`);
  return n;
}

export function analyticsRoutes(app: App, { analyticsEvents: events, insights }: Pick<Services, 'analyticsEvents' | 'insights'>): void {
  app.get(
    '/v1/analytics/events',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Analytics events, oldest first, a page at a time',
        description: 'Pass nextCursor back as cursor for the next page; nextCursor is null on the last page.',
        tags: ['analytics'],
        querystring: EventsQuery,
        response: { 200: Type.Object({ data: Type.Array(EventSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      const filter = eventFilterFrom(request.query);
      const limit = limitFrom(request.query.limit);
      const after = request.query.cursor === undefined ? 0 : decodeCursor(request.query.cursor);
      // One row more than asked tells whether another page exists.
      const rows = await events.page(filter, after, limit + 1);
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? encodeCursor((page.at(-1) as { seq: number }).seq) : null;
      return { data: page.map((row) => JSON.parse(row.body) as AnalyticsEvent), nextCursor };
    },
  );

  app.get(
    '/v1/analytics/export',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Every matching analytics event as NDJSON, streamed (batch extraction)',
        description: 'One event per line, oldest first, up to the newest event stored when the export starts.',
        tags: ['analytics'],
        produces: ['application/x-ndjson'],
        querystring: ExportQuery,
        response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON: one analytics event per line' }), ...errors },
      },
    },
    async (request, reply) => {
      const stream = await exportEvents(events, eventFilterFrom(request.query));
      return reply
        .type('application/x-ndjson')
        .header('content-disposition', 'attachment; filename="analytics-events.ndjson"')
        .send(stream);
    },
  );

  app.get(
    '/v1/analytics/insights',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Per card template: cards sent, displayed, completed, dismissed, snoozed and voted on, with rates',
        description: 'Counts are of distinct cards, from events whose timestamp lies in [from, to).',
        tags: ['analytics'],
        querystring: InsightsQuery,
        response: { 200: Type.Object({ data: Type.Array(InsightsSchema) }), ...errors },
      },
    },
    async (request) => {
      const { cardTemplateId } = request.query;
      const from = timeAttribute('from', request.query.from);
      const to = timeAttribute('to', request.query.to);
      return { data: await insights.byTemplate({ cardTemplateId, from, to }) };
    },
  );
}
