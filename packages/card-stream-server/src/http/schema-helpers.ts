import { Type } from '@sinclair/typebox';

/** A string from a fixed list, as a JSON Schema `enum` (Ajv then names the allowed values
 * in its error, and OpenAPI shows a plain enum rather than a union of constants). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
