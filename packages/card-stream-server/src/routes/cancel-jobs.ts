// Bulk cancel jobs (CONTRACT §4): review the count, start a job, follow its progress.
import { Type } from '@sinclair/typebox';
import {
  CancelJobAcceptedSchema,
  CancelJobRequestSchema,
  CancelJobSchema,
  CancelPreviewSchema,
  MAX_CARDS_PER_JOB,
  type CancelJob,
} from '../../../protocol/src/cancel-jobs.js';
import { credentialOf } from '../http/platform-guard.js';
import { errors, platformErrors } from './responses.js';
import { answerOnce, IdempotencyKeyHeader } from './idempotent.js';
import type { App, Services } from './types.js';

export function cancelJobRoutes(app: App, { cancelJobs, idempotencyKeys }: Pick<Services, 'cancelJobs' | 'idempotencyKeys'>): void {
  app.post(
    '/v1/cancel-jobs/preview',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'previewCancelJob',
        summary: 'How many open cards a cancel job with these criteria would cancel',
        tags: ['cancel jobs'],
        body: CancelJobRequestSchema,
        response: { 200: CancelPreviewSchema, ...platformErrors },
      },
    },
    async (request) => ({ matched: await cancelJobs.preview(request.body.criteria) }),
  );

  app.post(
    '/v1/cancel-jobs',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'createCancelJob',
        summary: `Start a job that cancels up to ${MAX_CARDS_PER_JOB} open cards matching the criteria`,
        tags: ['cancel jobs'],
        headers: IdempotencyKeyHeader,
        body: CancelJobRequestSchema,
        response: { 202: CancelJobAcceptedSchema, ...platformErrors, ...errors(422) },
      },
    },
    async (request, reply) =>
      answerOnce(
        idempotencyKeys,
        request,
        reply,
        202,
        (job: CancelJob) => ({ id: job.id, status: job.status, statusUrl: `/v1/cancel-status/${job.id}` }),
        (alsoRecord) => cancelJobs.create(request.body.criteria, credentialOf(request).clientId, alsoRecord),
      ),
  );

  app.get(
    '/v1/cancel-status/:id',
    {
      config: { role: 'workbench' },
      schema: {
        operationId: 'getCancelJob',
        summary: 'Progress of a cancel job',
        tags: ['cancel jobs'],
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: CancelJobSchema, ...platformErrors, ...errors(404) },
      },
    },
    async (request) => cancelJobs.get(request.params.id),
  );
}
