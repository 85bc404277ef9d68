// Card templates (CONTRACT §5): what a workbench saves, and a template as returned.
import { Type, type Static } from '@sinclair/typebox';
import { ListSchema } from './common.js';
import { CardDefinitionSchema, CardOptionsSchema } from './definition.js';

export const RuntimeVariableSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    defaultValue: Type.String({ maxLength: 10_000 }),
  },
  { additionalProperties: false },
);
export type RuntimeVariable = Static<typeof RuntimeVariableSchema>;

export const TemplateInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    streamId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    definition: CardDefinitionSchema,
    runtimeVariables: Type.Optional(Type.Array(RuntimeVariableSchema, { maxItems: 100 })),
    cardOptions: Type.Optional(CardOptionsSchema),
  },
  { additionalProperties: false },
);
export type TemplateInput = Static<typeof TemplateInputSchema>;

export const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  streamId: Type.String(),
  version: Type.Integer({ description: 'the latest version' }),
  published: Type.Boolean({ description: 'the latest version is the published one' }),
  publishedVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'the version `start` sends' }),
  definition: CardDefinitionSchema,
  runtimeVariables: Type.Array(RuntimeVariableSchema),
  cardOptions: CardOptionsSchema,
  created: Type.String(),
  updated: Type.String(),
});
export type Template = Static<typeof TemplateSchema>;

export const TemplateListSchema = ListSchema(TemplateSchema);
