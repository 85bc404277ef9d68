// Audiences (CONTRACT §9): user profiles (role events), segments (role workbench) and the
// status of sends to audiences (role events).
import { Type } from '@sinclair/typebox';
import {
  ProfileBatchResultSchema,
  ProfileBatchSchema,
  ProfileInputSchema,
  ProfileListQuerySchema,
  ProfilePageSchema,
  ProfileSchema,
  SegmentCountSchema,
  SegmentInputSchema,
  SegmentListSchema,
  SegmentSchema,
  SendJobSchema,
} from '../../../protocol/src/audiences.js';
import { InvalidInput } from '../errors.js';
import { decodeCursor } from '../audiences/profiles.js';
import { errors, platformErrors } from './responses.js';
import type { App, Services } from './types.js';

const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 256 }) });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const NoContent = Type.Null({ description: 'No content' });
const users = { role: 'events' as const };
const workbench = { role: 'workbench' as const };

function limitOf(text: string | undefined): number {
  const n = text === undefined ? 100 : Number(text);
  if (n < 1 || n > 1000) throw new InvalidInput('invalid_limit', `limit must be from 1 to 1000; it was ${text}.`, 'limit');
  return n;
}

export function audienceRoutes(app: App, { profiles, segments, sendJobs }: Pick<Services, 'profiles' | 'segments' | 'sendJobs'>): void {
  app.put(
    '/v1/users/:userId',
    {
      config: users,
      schema: {
        operationId: 'putUser',
        summary: "Make or change a user's profile: attributes merge (null removes one), tags replace",
        tags: ['audiences'],
        params: UserParams,
        body: ProfileInputSchema,
        response: { 200: ProfileSchema, ...platformErrors },
      },
    },
    async (request) => profiles.put(request.params.userId, request.body),
  );

  app.get(
    '/v1/users/:userId',
    { config: users, schema: { operationId: 'getUser', summary: "A user's profile", tags: ['audiences'], params: UserParams, response: { 200: ProfileSchema, ...platformErrors, ...errors(404) } } },
    async (request) => profiles.get(request.params.userId),
  );

  app.delete(
    '/v1/users/:userId',
    {
      config: users,
      schema: { operationId: 'deleteUser', summary: "Delete a user's profile (the user's cards stay)", tags: ['audiences'], params: UserParams, response: { 204: NoContent, ...platformErrors, ...errors(404) } },
    },
    async (request, reply) => {
      await profiles.delete(request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/users/batch',
    {
      config: users,
      schema: {
        operationId: 'putUsers',
        summary: 'Make or change up to 10,000 profiles in one request',
        tags: ['audiences'],
        body: ProfileBatchSchema,
        response: { 200: ProfileBatchResultSchema, ...platformErrors },
      },
    },
    async (request) => ({ updated: await profiles.batch(request.body) }),
  );

  app.get(
    '/v1/users',
    {
      config: users,
      schema: {
        operationId: 'listUsers',
        summary: 'Profiles by user id, a page at a time; with a tag, in a segment',
        tags: ['audiences'],
        querystring: ProfileListQuerySchema,
        response: { 200: ProfilePageSchema, ...platformErrors, ...errors(404) },
      },
    },
    async (request) => {
      const { tag, segmentId, limit, cursor } = request.query;
      const segment = segmentId === undefined ? undefined : await segments.get(segmentId);
      return profiles.list({ tag, segment, limit: limitOf(limit), after: cursor === undefined ? undefined : decodeCursor(cursor) });
    },
  );

  app.post(
    '/v1/segments',
    {
      config: workbench,
      schema: { operationId: 'createSegment', summary: 'Save a filter over profiles as a segment', tags: ['audiences'], body: SegmentInputSchema, response: { 201: SegmentSchema, ...platformErrors } },
    },
    async (request, reply) => reply.code(201).send(await segments.create(request.body)),
  );

  app.get(
    '/v1/segments',
    { config: workbench, schema: { operationId: 'listSegments', summary: 'List segments', tags: ['audiences'], response: { 200: SegmentListSchema, ...platformErrors } } },
    async () => ({ data: await segments.list() }),
  );

  app.get(
    '/v1/segments/:id',
    { config: workbench, schema: { operationId: 'getSegment', summary: 'A segment', tags: ['audiences'], params: IdParams, response: { 200: SegmentSchema, ...platformErrors, ...errors(404) } } },
    async (request) => segments.get(request.params.id),
  );

  app.put(
    '/v1/segments/:id',
    {
      config: workbench,
      schema: { operationId: 'updateSegment', summary: "Change a segment's name and filter", tags: ['audiences'], params: IdParams, body: SegmentInputSchema, response: { 200: SegmentSchema, ...platformErrors, ...errors(404) } },
    },
    async (request) => segments.update(request.params.id, request.body),
  );

  app.delete(
    '/v1/segments/:id',
    { config: workbench, schema: { operationId: 'deleteSegment', summary: 'Delete a segment', tags: ['audiences'], params: IdParams, response: { 204: NoContent, ...platformErrors, ...errors(404) } } },
    async (request, reply) => {
      await segments.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/segments/:id/count',
    {
      config: workbench,
      schema: { operationId: 'countSegment', summary: 'How many profiles the segment holds now', tags: ['audiences'], params: IdParams, response: { 200: SegmentCountSchema, ...platformErrors, ...errors(404) } },
    },
    async (request) => ({ total: await segments.count(request.params.id) }),
  );

  app.get(
    '/v1/send-jobs/:id',
    {
      config: users,
      schema: { operationId: 'getSendJob', summary: 'Progress of a send to an audience', tags: ['sending'], params: IdParams, response: { 200: SendJobSchema, ...platformErrors, ...errors(404) } },
    },
    async (request) => sendJobs.get(request.params.id),
  );
}
