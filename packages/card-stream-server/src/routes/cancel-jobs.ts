// Bulk cancel jobs (CONTRACT §4): review the count, start a job, follow its progress.
import { Type, type Static } from '@sinclair/typebox';
import { OPEN_STATES } from '../../../protocol/src/cards.js';
import { ErrorBodySchema } from '../http/errors.js';
import { StringEnum } from '../http/schema-helpers.js';
import type { CardFilter } from '../cards/filter.js';
import { MAX_CARDS_PER_JOB } from '../cancel/jobs.js';
import { attributeSchemas } from './cards.js';
import type { App, Services } from './types.js';

const Criteria = Type.Object(
  { ...attributeSchemas, status: Type.Optional(StringEnum(OPEN_STATES, { description: 'only open cards are cancelled' })) },
  { additionalProperties: false, minProperties: 1, description: 'Cards must match every criterion; at least one is required.' },
);
const Body = Type.Object({ criteria: Criteria }, { additionalProperties: false });
type Body = Static<typeof Body>;

const JobSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(['queued', 'running', 'completed', 'failed'] as const),
  criteria: Type.Record(Type.String(), Type.String()),
  matched: Type.Integer({ description: `open cards matching when the job was made, at most ${MAX_CARDS_PER_JOB}` }),
  cancelled: Type.Integer(),
  requestedBy: Type.String({ description: 'the client id of the credential that asked' }),
  created: Type.String(),
  finished: Type.Union([Type.String(), Type.Null()]),
});

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema };

export function cancelJobRoutes(app: App, { cancelJobs }: Services): void {
  app.post(
    '/v1/cancel-jobs/preview',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'How many open cards a cancel job with these criteria would cancel',
        body: Body,
        response: { 200: Type.Object({ matched: Type.Integer() }), ...errors },
      },
    },
    async (request) => ({ matched: await cancelJobs.preview(request.body.criteria as CardFilter) }),
  );

  app.post(
    '/v1/cancel-jobs',
    {
      config: { role: 'workbench' },
      schema: {
        summary: `Start a job that cancels up to ${MAX_CARDS_PER_JOB} open cards matching the criteria`,
        body: Body,
        response: { 202: Type.Object({ id: Type.String(), status: Type.String(), statusUrl: Type.String() }), ...errors },
      },
    },
    async (request, reply) => {
      const requestedBy = request.credential?.clientId ?? 'unknown';
      const job = await cancelJobs.create((request.body as Body).criteria as CardFilter, requestedBy);
      return reply.code(202).send({ id: job.id, status: job.status, statusUrl: `/v1/cancel-status/${job.id}` });
    },
  );

  app.get(
    '/v1/cancel-status/:id',
    {
      config: { role: 'workbench' },
      schema: {
        summary: 'Progress of a cancel job',
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: JobSchema, 404: ErrorBodySchema, ...errors },
      },
    },
    async (request) => cancelJobs.get(request.params.id),
  );
}
