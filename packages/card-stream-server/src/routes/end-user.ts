// The SDK-facing HTTP API (docs/protocol.md): the feed, card actions and analytics uploads,
// each called by a browser with an end-user token.
import { Type } from '@sinclair/typebox';
import {
  MAX_EVENTS_PER_UPLOAD,
  SdkActionRequestSchema,
  SdkActionResultSchema,
  SdkEventsRequestSchema,
  SdkEventsResultSchema,
  SdkFeedQuerySchema,
  SdkFeedSchema,
} from '../../../protocol/src/sdk.js';
import { feedPage } from '../end-user/feed.js';
import { endUserOf } from '../http/end-user-guard.js';
import { RateLimiter } from '../http/rate-limit.js';
import { endUserErrors, errors, sendJsonText } from './responses.js';
import type { App, Services } from './types.js';

const tags = ['sdk'];
/** Analytics events one end user may upload per minute (each server counts its own). */
export const USER_EVENTS_PER_MINUTE = 600;

export function endUserRoutes(app: App, { feed, endUserActions, endUserEvents }: Pick<Services, 'feed' | 'endUserActions' | 'endUserEvents'>): void {
  const eventQuota = new RateLimiter(USER_EVENTS_PER_MINUTE, 60_000, 'event_quota');
  app.get(
    '/v1/sdk/streams/:streamId/cards',
    {
      config: { endUser: true },
      schema: {
        operationId: 'getFeed',
        summary: "The stream's active cards for the token's user; 304 when If-None-Match holds the current ETag",
        tags,
        params: Type.Object({ streamId: Type.String({ minLength: 1, maxLength: 200 }) }),
        querystring: SdkFeedQuerySchema,
        response: { 200: SdkFeedSchema, 304: Type.Null({ description: 'Not modified' }), ...endUserErrors },
      },
    },
    async (request, reply) => {
      const { userId } = endUserOf(request);
      const { streamId } = request.params;
      const page = feedPage(request.query);
      const { seq, etag } = await feed.etag(userId, streamId, page);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      return sendJsonText(reply, await feed.feedJson(userId, streamId, seq, page));
    },
  );

  app.post(
    '/v1/sdk/cards/:cardInstanceId/actions',
    {
      config: { endUser: true },
      schema: {
        operationId: 'actOnCard',
        summary: 'Dismiss, snooze, complete, vote on or record an interaction with one of your cards; idempotent by id',
        tags,
        params: Type.Object({ cardInstanceId: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: SdkActionRequestSchema,
        response: { 200: SdkActionResultSchema, ...endUserErrors, ...errors(403, 404, 409) },
      },
    },
    async (request) => endUserActions.apply(endUserOf(request), request.params.cardInstanceId, request.body),
  );

  app.post(
    '/v1/sdk/events',
    {
      config: { endUser: true },
      schema: {
        operationId: 'uploadEvents',
        summary: `Upload up to ${MAX_EVENTS_PER_UPLOAD} SDK analytics events`,
        tags,
        body: SdkEventsRequestSchema,
        response: { 200: SdkEventsResultSchema, ...endUserErrors, ...errors(429) },
      },
    },
    async (request) => {
      const user = endUserOf(request);
      eventQuota.take(user.userId, Date.now(), request.body.events.length);
      return endUserEvents.store(user, request.body.events);
    },
  );
}
