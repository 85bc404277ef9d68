// Webhooks (CONTRACT §7, role workbench): subscribe a URL to analytics events; the
// dispatcher (webhooks/dispatcher.ts) delivers them.
import { Type } from '@sinclair/typebox';
import { WebhookInputSchema, WebhookSchema, WebhookStatusListSchema } from '../../../protocol/src/webhooks.js';
import { NotFound } from '../errors.js';
import { errors, platformErrors } from './responses.js';
import type { App, Services } from './types.js';

export function webhookRoutes(app: App, { webhooks }: Pick<Services, 'webhooks'>): void {
  app.post(
    '/v1/webhooks',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'createWebhook',
        summary: 'Subscribe a URL to analytics events stored from now on',
        description:
          'Deliveries POST { events: [...] } (at most 100, oldest first) signed with X-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">.',
        tags: ['webhooks'],
        body: WebhookInputSchema,
        response: { 201: WebhookSchema, ...platformErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.body)),
  );

  app.get(
    '/v1/webhooks',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhooks and how their deliveries are going',
        tags: ['webhooks'],
        response: { 200: WebhookStatusListSchema, ...platformErrors },
      },
    },
    async () => ({ data: await webhooks.list() }),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook; deliveries stop',
        tags: ['webhooks'],
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null({ description: 'Deleted' }), ...platformErrors, ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await webhooks.delete(request.params.id))) throw new NotFound('webhook_not_found', `There is no webhook ${request.params.id}.`);
      return reply.code(204).send(null);
    },
  );
}
