// Which of Ajv's errors a 400 should name when a value fails a union (anyOf). Ajv tries
// every branch and reports the first error of each: for an image block with a bad `height`,
// the first is the headline branch's "missing content", which is no help to the sender.
// The branch that counts is the one whose `type` the value names (blocks, button actions,
// targets); a union of literals (`height`, `size`) is one list of allowed values.

/** An Ajv error, as far as the error body reads it. */
export interface AjvError {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

type Schema = { anyOf?: Schema[]; oneOf?: Schema[]; const?: unknown; properties?: Record<string, Schema> } & Record<string, unknown>;

/**
 * The error to describe among `errors` (Ajv's, in its order) of validating `data` against
 * `schema`: errors from a union branch whose `type` is not the value's are dropped, and a
 * union left with no branch, or a failed literal of a union of literals, becomes an `enum`
 * error listing what is allowed. Without a schema or a union, the first error.
 */
export function relevantError(errors: readonly AjvError[], schema: unknown, data: unknown): AjvError | undefined {
  const first = errors[0];
  if (!schema || typeof schema !== 'object' || !errors.some((e) => e.keyword === 'anyOf' || e.keyword === 'discriminator')) return first;
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const kept = errors.filter((error) => !inOtherBranch(error, unions, schema as Schema, data));
  const chosen = kept[0] ?? first;
  return chosen ? asAllowedValues(chosen, schema as Schema, data) : undefined;
}

/** Whether `error` comes from a branch of a union whose `type` is not the value's. */
function inOtherBranch(error: AjvError, unions: readonly AjvError[], schema: Schema, data: unknown): boolean {
  const segments = pathSegments(error.schemaPath);
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] !== 'anyOf') continue;
    const branch = resolve(schema, segments.slice(0, i + 2));
    const typeConst = branch?.properties?.['type']?.const;
    if (typeConst === undefined) continue;
    const unionPath = `#/${segments.slice(0, i + 1).join('/')}`;
    const union = unions.find((u) => u.schemaPath === unionPath && isPrefix(u.instancePath ?? '', error.instancePath ?? ''));
    if (!union) continue;
    const value = at(data, union.instancePath ?? '');
    if (!isRecord(value) || value['type'] !== typeConst) return true;
  }
  return false;
}

/** A union's own error, or a literal's within a union of literals, as the values allowed there. */
function asAllowedValues(error: AjvError, schema: Schema, data: unknown): AjvError {
  const segments = pathSegments(error.schemaPath);
  if (error.keyword === 'anyOf' || error.keyword === 'discriminator') {
    // …/anyOf names the union's branches; …/discriminator (a oneOf Ajv picks a branch of by `type`) sits beside them.
    const union = resolve(schema, segments.slice(0, -1));
    const branches = (error.keyword === 'anyOf' ? union?.anyOf : union?.oneOf) ?? [];
    const types = branches.map((b) => b.properties?.['type']?.const);
    if (types.length && types.every((t) => t !== undefined)) {
      const value = at(data, error.instancePath ?? '');
      if (!isRecord(value)) return { ...error, keyword: 'type', message: 'must be an object' };
      return { keyword: 'enum', instancePath: `${error.instancePath ?? ''}/type`, params: { allowedValues: types } };
    }
    return literals(branches, error) ?? error;
  }
  // …/anyOf/<k>/const: one literal of a union of them.
  if (error.keyword === 'const' && segments.at(-3) === 'anyOf') {
    return literals(resolve(schema, segments.slice(0, -3))?.anyOf ?? [], error) ?? error;
  }
  return error;
}

function literals(branches: readonly Schema[], error: AjvError): AjvError | undefined {
  if (!branches.length || !branches.every((b) => 'const' in b)) return undefined;
  return { keyword: 'enum', instancePath: error.instancePath ?? '', params: { allowedValues: branches.map((b) => b.const) } };
}

/** `#/properties/a/anyOf/2` → ['properties', 'a', 'anyOf', '2'] (JSON Pointer, decoded). */
function pathSegments(schemaPath: string | undefined): string[] {
  if (!schemaPath?.startsWith('#/')) return [];
  return schemaPath.slice(2).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function resolve(schema: Schema, segments: readonly string[]): Schema | undefined {
  let node: unknown = schema;
  for (const segment of segments) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node && typeof node === 'object' ? (node as Schema) : undefined;
}

/** The value at an Ajv instance path (`/definition/blocks/0`). */
function at(data: unknown, instancePath: string): unknown {
  let node = data;
  for (const segment of pathSegments(`#${instancePath}`)) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function isPrefix(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
