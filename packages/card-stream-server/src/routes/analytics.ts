// Reading analytics (CONTRACT §7, role workbench): the events API, the NDJSON export and
// insights per card template.
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import {
  AnalyticsEventPageSchema,
  EventFilterQuerySchema,
  EventsQuerySchema,
  InsightsListSchema,
  InsightsQuerySchema,
  type AnalyticsEvent,
  type AnalyticsEventPage,
} from '../../../protocol/src/analytics.js';
import { InvalidInput } from '../errors.js';
import { decodeCursor, encodeCursor, eventFilterFrom, timeAttribute } from '../analytics/events-query.js';
import { exportEvents } from '../analytics/export.js';
import { platformErrors } from './responses.js';
import type { App, Services } from './types.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function limitFrom(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (n < 1 || n > MAX_LIMIT) throw new InvalidInput('invalid_limit', `limit must be from 1 to ${MAX_LIMIT}; it was ${text}.`, 'limit');
  return n;
}

export function analyticsRoutes(app: App, { analyticsEvents: events, insights }: Pick<Services, 'analyticsEvents' | 'insights'>): void {
  app.get(
    '/v1/analytics/events',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'listAnalyticsEvents',
        summary: 'Analytics events, oldest first, a page at a time',
        description: 'Pass nextCursor back as cursor for the next page; nextCursor is null on the last page.',
        tags: ['analytics'],
        querystring: EventsQuerySchema,
        response: { 200: AnalyticsEventPageSchema, ...platformErrors },
      },
    },
    async (request): Promise<AnalyticsEventPage> => {
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
        operationId: 'exportAnalyticsEvents',
        summary: 'Every matching analytics event as NDJSON, streamed (batch extraction)',
        description: 'One event per line, oldest first, up to the newest event stored when the export starts.',
        tags: ['analytics'],
        produces: ['application/x-ndjson'],
        querystring: EventFilterQuerySchema,
        response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON: one analytics event per line' }), ...platformErrors },
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
        operationId: 'getInsights',
        summary: 'Per card template: cards sent, displayed, completed, dismissed, snoozed and voted on, with rates',
        description: 'Counts are of distinct cards, from events whose timestamp lies in [from, to).',
        tags: ['analytics'],
        querystring: InsightsQuerySchema,
        response: { 200: InsightsListSchema, ...platformErrors },
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
