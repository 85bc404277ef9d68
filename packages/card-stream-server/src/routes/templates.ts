// Card templates and action flows (CONTRACT §5).
import { Type, type Static } from '@sinclair/typebox';
import { CardDefinitionSchema, CardOptionsSchema, type Block, type CardDefinition } from '../../../protocol/src/definition.js';
import { ApiError, badRequest, ErrorBodySchema } from '../http/errors.js';
import { checkCardOptions, MAX_TARGETS } from '../cards/send.js';
import { withBlockIds } from '../cards/block-ids.js';
import type { App, Services } from './types.js';

const TemplateInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    streamId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    definition: CardDefinitionSchema,
    runtimeVariables: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }), defaultValue: Type.String({ maxLength: 10_000 }) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    cardOptions: Type.Optional(CardOptionsSchema),
  },
  { additionalProperties: false },
);
type TemplateInput = Static<typeof TemplateInputSchema>;

const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  streamId: Type.String(),
  version: Type.Integer(),
  published: Type.Boolean(),
  publishedVersion: Type.Union([Type.Integer(), Type.Null()]),
  definition: CardDefinitionSchema,
  runtimeVariables: Type.Array(Type.Object({ name: Type.String(), defaultValue: Type.String() })),
  cardOptions: CardOptionsSchema,
  created: Type.String(),
  updated: Type.String(),
});

const FlowsSchema = Type.Object(
  {
    flows: Type.Array(
      Type.Object(
        {
          eventName: Type.Optional(Type.String({ maxLength: 200 })),
          target: Type.Object(
            {
              type: Type.Literal('user'),
              targetUserIds: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1 }),
            },
            { additionalProperties: false },
          ),
          payload: Type.Optional(
            Type.Object(
              {
                variables: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
                metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
                cardOptions: Type.Optional(CardOptionsSchema),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

const SendResultSchema = Type.Object({
  flowInvocationId: Type.String(),
  cards: Type.Array(
    Type.Object({ userId: Type.String(), cardInstanceId: Type.String(), lifecycleId: Type.String(), flowInstanceId: Type.String(), status: Type.String() }),
  ),
});

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema };
const IdParams = Type.Object({ id: Type.String() });

/** Gives every block an id (CONTRACT §6) and refuses ids used twice, button ids used twice
 * in one block, and subview actions that point nowhere. */
function normaliseDefinition(definition: CardDefinition): CardDefinition {
  const seen = new Set<string>();
  const subviews = definition.subviews ?? {};
  const withIds = (blocks: Block[], where: string): Block[] => {
    for (const block of blocks) {
      if (block.type !== 'button') continue;
      for (const button of block.buttons) {
        if (button.action?.type === 'subview' && !(button.action.subviewId in subviews)) {
          throw badRequest('unknown_subview', `Button "${button.id}" opens subview "${button.action.subviewId}", which the definition lacks.`);
        }
      }
    }
    return withBlockIds(blocks, where, seen);
  };
  const result: CardDefinition = { ...definition, blocks: withIds(definition.blocks, 'definition.blocks') };
  if (definition.subviews) {
    result.subviews = Object.fromEntries(
      Object.entries(definition.subviews).map(([id, sv]) => [id, { ...sv, blocks: withIds(sv.blocks, `definition.subviews.${id}.blocks`) }]),
    );
  }
  return result;
}

export function checkTemplate(input: TemplateInput): TemplateInput {
  checkCardOptions(input.cardOptions, 'cardOptions');
  return { ...input, definition: normaliseDefinition(input.definition) };
}

export function templateRoutes(app: App, { templates, sender }: Services): void {
  app.post(
    '/v1/card-templates',
    {
      config: { role: 'workbench' },
      schema: { summary: 'Create a card template (version 1, unpublished)', tags: ['templates'], body: TemplateInputSchema, response: { 201: TemplateSchema, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await templates.create(checkTemplate(request.body))),
  );

  app.get(
    '/v1/card-templates',
    {
      config: { role: 'workbench' },
      schema: { summary: 'List card templates (latest versions)', tags: ['templates'], response: { 200: Type.Object({ data: Type.Array(TemplateSchema) }), ...errors } },
    },
    async () => ({ data: await templates.list() }),
  );

  const notFound = (id: string) => new ApiError(404, 'template_not_found', `There is no card template ${id}.`);

  app.get(
    '/v1/card-templates/:id',
    {
      config: { role: 'workbench' },
      schema: { summary: 'Get a card template (latest version)', tags: ['templates'], params: IdParams, response: { 200: TemplateSchema, ...errors } },
    },
    async (request) => (await templates.get(request.params.id)) ?? Promise.reject(notFound(request.params.id)),
  );

  app.put(
    '/v1/card-templates/:id',
    {
      config: { role: 'workbench' },
      schema: { summary: 'Save a new, unpublished version', tags: ['templates'], params: IdParams, body: TemplateInputSchema, response: { 200: TemplateSchema, ...errors } },
    },
    async (request) => (await templates.update(request.params.id, checkTemplate(request.body))) ?? Promise.reject(notFound(request.params.id)),
  );

  app.post(
    '/v1/card-templates/:id/publish',
    {
      config: { role: 'workbench' },
      schema: { summary: 'Publish the latest version', tags: ['templates'], params: IdParams, response: { 200: TemplateSchema, ...errors } },
    },
    async (request) => (await templates.publish(request.params.id)) ?? Promise.reject(notFound(request.params.id)),
  );

  for (const mode of ['start', 'test'] as const) {
    app.post(
      `/v1/action-flows/:flowConfigId/${mode}`,
      {
        config: { role: 'events' },
        schema: {
          summary: mode === 'start' ? 'Send the published version of a card' : 'Send the latest version as a test card',
          description: `At most ${MAX_TARGETS} target users per request.`,
          tags: ['sending'],
          params: Type.Object({ flowConfigId: Type.String() }),
          body: FlowsSchema,
          response: { 201: SendResultSchema, 409: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) => {
        const result = await sender.send(request.params.flowConfigId, request.body.flows, mode === 'start' ? 'live' : 'test');
        return reply.code(201).send(result);
      },
    );
  }
}
