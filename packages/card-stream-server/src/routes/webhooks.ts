// Webhooks (CONTRACT §7, role workbench): subscribe a URL to analytics events; the
// dispatcher (analytics/webhook-dispatcher.ts) delivers them.
import { Type } from '@sinclair/typebox';
import { ANALYTICS_EVENT_NAMES } from '../../../protocol/src/analytics.js';
import { badRequest, ErrorBodySchema, notFound } from '../http/errors.js';
import { StringEnum } from '../http/schema-helpers.js';
import { ALL_EVENTS } from '../analytics/webhooks.js';
import type { App, Services } from './types.js';

const EventNames = [ALL_EVENTS, ...ANALYTICS_EVENT_NAMES] as const;

const CreateBody = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: 'http:// or https:// URL that receives POSTs' }),
    events: Type.Array(StringEnum(EventNames), { minItems: 1, maxItems: EventNames.length, description: 'analytics event names, or ["*"] for all' }),
    secret: Type.String({ minLength: 8, maxLength: 256, description: 'signs every delivery (X-Signature); never shown again' }),
  },
  { additionalProperties: false },
);
const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  created: Type.String(),
});
const WebhookStatusSchema = Type.Object({
  ...WebhookSchema.properties,
  failingSince: Type.Optional(Type.String({ description: 'while the current batch is failing: since when' })),
  lastError: Type.Optional(Type.String()),
  failedBatches: Type.Integer({ description: 'batches given up on after 24 hours of retries' }),
});

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema };

function checkUrl(text: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw badRequest('invalid_url', `url must be an absolute http:// or https:// URL; it was "${text}".`);
  }
}

export function webhookRoutes(app: App, { webhooks }: Pick<Services, 'webhooks'>): void {
  app.post(
    '/v1/webhooks',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Subscribe a URL to analytics events stored from now on',
        description: 'Deliveries POST { events: [...] } (at most 100, oldest first) signed with X-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">.',
        tags: ['webhooks'],
        body: CreateBody,
        response: { 201: WebhookSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { url, events, secret } = request.body;
      checkUrl(url);
      return reply.code(201).send(await webhooks.create(url, events, secret));
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: { role: 'workbench' },
      schema: { summary: 'List webhooks and how their deliveries are going', tags: ['webhooks'], response: { 200: Type.Object({ data: Type.Array(WebhookStatusSchema) }), ...errors } },
    },
    async () => ({ data: await webhooks.list() }),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Delete a webhook; deliveries stop',
        tags: ['webhooks'],
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), 404: ErrorBodySchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!(await webhooks.delete(request.params.id))) throw notFound('webhook_not_found', `There is no webhook ${request.params.id}.`);
      return reply.code(204).send(null);
    },
  );
}
