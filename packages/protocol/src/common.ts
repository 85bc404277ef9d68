// Pieces every wire shape uses: the error body of CONTRACT §3, string enums, keyset pages.
import { Kind, Type, TypeRegistry, type Static, type TSchema } from '@sinclair/typebox';

// Registered so TypeBox's own checker (Value, TypeCompiler) knows StringEnum too; Ajv and
// the OpenAPI document see a plain JSON Schema enum.
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value));

/** A string from a fixed list, as a JSON Schema `enum` (Ajv then names the allowed values
 * in its error, and OpenAPI shows a plain enum rather than a union of constants). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...options });

/** A whole number sent as query text (query strings are never coerced). */
export const DigitsSchema = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description });

/** Every 4xx and 5xx answer (CONTRACT §3). */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'snake_case, stable: branch on it' }),
      message: Type.String({ description: 'a sentence a person can act on' }),
    }),
  },
  { $id: 'Error', description: 'Every 4xx and 5xx answer has this body.' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** `{ data, nextCursor }`: one page of a keyset-paged list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
export const PageSchema = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass back as cursor for the next page; null on the last page' }),
  });

/** `{ data }`: a whole list. */
export const ListSchema = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item) });
