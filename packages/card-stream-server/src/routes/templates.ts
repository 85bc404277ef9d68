// Card templates and action flows (CONTRACT §5).
import { Type } from '@sinclair/typebox';
import { TemplateInputSchema, TemplateListSchema, TemplateSchema } from '../../../protocol/src/templates.js';
import { FlowRequestSchema, MAX_TARGETS, SendResultSchema, type SendResult, type UserFlow } from '../../../protocol/src/flows.js';
import { SendJobAcceptedSchema, type SendJobAccepted } from '../../../protocol/src/audiences.js';
import { isAudienceFlow } from '../audiences/send-jobs.js';
import { credentialOf } from '../http/platform-guard.js';
import { NotFound } from '../errors.js';
import { normaliseTemplate } from '../templates/normalise.js';
import { errors, platformErrors } from './responses.js';
import { answerOnce, IdempotencyKeyHeader } from './idempotent.js';
import type { App, Services } from './types.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const templateNotFound = (id: string) => new NotFound('template_not_found', `There is no card template ${id}.`);

export function templateRoutes(app: App, { templates, flows, sendJobs, idempotencyKeys }: Pick<Services, 'templates' | 'flows' | 'sendJobs' | 'idempotencyKeys'>): void {
  app.post(
    '/v1/card-templates',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'createTemplate',
        summary: 'Create a card template (version 1, unpublished)',
        tags: ['templates'],
        body: TemplateInputSchema,
        response: { 201: TemplateSchema, ...platformErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await templates.create(normaliseTemplate(request.body))),
  );

  app.get(
    '/v1/card-templates',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'listTemplates',
        summary: 'List card templates (latest versions)',
        tags: ['templates'],
        response: { 200: TemplateListSchema, ...platformErrors },
      },
    },
    async () => ({ data: await templates.list() }),
  );

  app.get(
    '/v1/card-templates/:id',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'getTemplate',
        summary: 'Get a card template (latest version)',
        tags: ['templates'],
        params: IdParams,
        response: { 200: TemplateSchema, ...platformErrors, ...errors(404) },
      },
    },
    async (request) => (await templates.get(request.params.id)) ?? Promise.reject(templateNotFound(request.params.id)),
  );

  app.put(
    '/v1/card-templates/:id',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'updateTemplate',
        summary: 'Save a new, unpublished version',
        tags: ['templates'],
        params: IdParams,
        body: TemplateInputSchema,
        response: { 200: TemplateSchema, ...platformErrors, ...errors(404) },
      },
    },
    async (request) =>
      (await templates.update(request.params.id, normaliseTemplate(request.body))) ?? Promise.reject(templateNotFound(request.params.id)),
  );

  app.post(
    '/v1/card-templates/:id/publish',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'publishTemplate',
        summary: 'Publish the latest version',
        tags: ['templates'],
        params: IdParams,
        response: { 200: TemplateSchema, ...platformErrors, ...errors(404) },
      },
    },
    async (request) => (await templates.publish(request.params.id)) ?? Promise.reject(templateNotFound(request.params.id)),
  );

  for (const mode of ['start', 'test'] as const) {
    app.post(
      `/v1/action-flows/:flowConfigId/${mode}`,
      {
        config: { role: 'events' },
        schema: {
          operationId: mode === 'start' ? 'startFlow' : 'testFlow',
          summary: mode === 'start' ? 'Send the published version of a card' : 'Send the latest version as a test card',
          description: `At most ${MAX_TARGETS} target users per request.`,
          tags: ['sending'],
          params: Type.Object({ flowConfigId: Type.String({ maxLength: 100 }) }),
          headers: IdempotencyKeyHeader,
          body: FlowRequestSchema,
          response: { 201: SendResultSchema, 202: SendJobAcceptedSchema, ...platformErrors, ...errors(404, 409, 422) },
        },
      },
      async (request, reply) => {
        const source = mode === 'start' ? 'live' : 'test';
        const requested = request.body.flows;
        // Listed users are sent at once; a flow to an audience makes the whole request a job.
        if (requested.some(isAudienceFlow)) {
          const requestedBy = credentialOf(request).clientId;
          return answerOnce(idempotencyKeys, request, reply, 202, (accepted: SendJobAccepted) => accepted, (alsoRecord) =>
            sendJobs.create(request.params.flowConfigId, requested, source, requestedBy, alsoRecord),
          );
        }
        return answerOnce(idempotencyKeys, request, reply, 201, (result: SendResult) => result, (alsoRecord) =>
          flows.send(request.params.flowConfigId, requested as UserFlow[], source, alsoRecord),
        );
      },
    );
  }
}
