// Which of Ajv's errors a 400 should name when a value fails a union (anyOf). Ajv tries
// every branch and reports the first error of each: for an image block with a bad `height`,
// the first is the headline branch's "missing content", which is no help to the sender.
// The branch that counts is the one whose `type` the value names (blocks, button actions,
// targets); else the one of the value's JSON type (a profile attribute: string, number,
// boolean or null); else, among object branches, the one that has most of the value's
// fields (a segment condition: `{ tag }` or `{ attribute, op, value }`), and when it has none
// of any branch's, the union itself, naming each shape's fields. A union of literals
// (`height`, `size`) is one list of allowed values, and one of JSON types one list of types.

/** An Ajv error, as far as the error body reads it. */
export interface AjvError {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

type Schema = { anyOf?: Schema[]; oneOf?: Schema[]; const?: unknown; type?: unknown; properties?: Record<string, Schema>; required?: unknown } & Record<string, unknown>;

/**
 * The error to describe among `errors` (Ajv's, in its order) of validating `data` against
 * `schema`: errors from a union branch whose `type` is not the value's are dropped, and a
 * union left with no branch, or a failed literal of a union of literals, becomes an `enum`
 * error listing what is allowed. Without a schema or a union, the first error.
 */
export function relevantError(errors: readonly AjvError[], schema: unknown, data: unknown): AjvError | undefined {
  const first = errors[0];
  if (!schema || typeof schema !== 'object' || !errors.some((e) => e.keyword === 'anyOf' || e.keyword === 'discriminator')) return first;
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((error) => ({ error, segments: pathSegments(error.schemaPath) }));
  const kept = errors.filter((error) => !inOtherBranch(error, unions, schema as Schema, data));
  let chosen = kept[0] ?? first;
  // A union inside a union fails at the same place as the outer one, which names every branch.
  if (chosen?.keyword === 'anyOf') chosen = kept.filter((e) => e.keyword === 'anyOf' && e.instancePath === chosen?.instancePath).sort((a, b) => (a.schemaPath ?? '').length - (b.schemaPath ?? '').length)[0];
  return chosen ? asAllowedValues(chosen, schema as Schema, data) : undefined;
}

/** Whether `error` comes from a branch of a union that is not the value's (see the top of this file). */
function inOtherBranch(error: AjvError, unions: readonly { error: AjvError; segments: string[] }[], schema: Schema, data: unknown): boolean {
  const segments = pathSegments(error.schemaPath);
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] !== 'anyOf') continue;
    const branch = resolve(schema, segments.slice(0, i + 2));
    const unionPath = segments.slice(0, i + 1);
    const union = unions.find((u) => sameSegments(u.segments, unionPath) && isPrefix(u.error.instancePath ?? '', error.instancePath ?? ''))?.error;
    if (!branch || !union) continue;
    const value = at(data, union.instancePath ?? '');
    const typeConst = branch.properties?.['type']?.const;
    if (typeConst !== undefined) {
      if (!isRecord(value) || value['type'] !== typeConst) return true;
      continue;
    }
    if (typeof branch.type === 'string' && !ofJsonType(value, branch.type)) return true;
    const branches = resolve(schema, segments.slice(0, i + 1));
    if (branch.properties && isRecord(value) && Array.isArray(branches) && !closestBranches(branches as Schema[], value).includes(branch)) return true;
  }
  return false;
}

/** Whether `value` is of the JSON Schema `type`. */
function ofJsonType(value: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(value);
  if (type === 'null') return value === null;
  if (type === 'array') return Array.isArray(value);
  if (type === 'object') return isRecord(value);
  return typeof value === type;
}

/**
 * The object branches of a union that have the most of `value`'s fields; none when it has
 * none of any branch's (`{}`): then no branch's error is the one, and the union's own error
 * lists the shapes (objectShapes).
 */
function closestBranches(branches: readonly Schema[], value: Record<string, unknown>): Schema[] {
  const fields = Object.keys(value);
  const scored = branches.filter((b) => b.properties).map((b) => ({ b, n: fields.filter((f) => Object.hasOwn(b.properties as object, f)).length }));
  const best = Math.max(...scored.map((s) => s.n));
  return best === 0 ? [] : scored.filter((s) => s.n === best).map((s) => s.b);
}

/** A union's branches, those of unions inside it included. */
const flatBranches = (branches: readonly Schema[]): Schema[] => branches.flatMap((b) => (b.anyOf ? flatBranches(b.anyOf) : [b]));

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
    return literals(branches, error) ?? objectShapes(branches, error, data) ?? jsonTypes(flatBranches(branches), error) ?? error;
  }
  // …/anyOf/<k>/const: one literal of a union of them.
  if (error.keyword === 'const' && segments.at(-3) === 'anyOf') {
    return literals(resolve(schema, segments.slice(0, -3))?.anyOf ?? [], error) ?? error;
  }
  return error;
}

/** A union whose branches each have a JSON type (string, number, object…), failed by a value of none of them: one `type` error listing them. */
function jsonTypes(branches: readonly Schema[], error: AjvError): AjvError | undefined {
  if (!branches.length || !branches.every((b) => typeof b.type === 'string')) return undefined;
  const types = [...new Set(branches.map((b) => String(b.type)))].map((type) => (type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`));
  const list = types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
  return { keyword: 'type', instancePath: error.instancePath ?? '', message: `must be ${list}` };
}

/** A union of object shapes failed by an object with none of their fields: one error naming each shape's required fields. */
function objectShapes(branches: readonly Schema[], error: AjvError, data: unknown): AjvError | undefined {
  const shapes = branches.map((b) => b.required);
  if (!branches.length || !isRecord(at(data, error.instancePath ?? '')) || !shapes.every((r) => Array.isArray(r) && r.length > 0)) return undefined;
  const quoted = (shapes as string[][]).map((fields) => fields.map((f) => `"${f}"`)).map((fields) => (fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}`));
  return { keyword: 'type', instancePath: error.instancePath ?? '', message: `must be an object with ${quoted.join(', or with ')}` };
}

function literals(branches: readonly Schema[], error: AjvError): AjvError | undefined {
  if (!branches.length || !branches.every((b) => 'const' in b)) return undefined;
  return { keyword: 'enum', instancePath: error.instancePath ?? '', params: { allowedValues: branches.map((b) => b.const) } };
}

/**
 * `#/properties/a/anyOf/2` → ['properties', 'a', 'anyOf', '2']: a schema path is a JSON
 * Pointer in a URI fragment (a record's key pattern comes percent-encoded).
 */
function pathSegments(schemaPath: string | undefined): string[] {
  if (!schemaPath?.startsWith('#/')) return [];
  return schemaPath.slice(2).split('/').map((s) => unescapePointer(safeDecode(s)));
}

/** `/definition/blocks/0` → ['definition', 'blocks', '0'] (a JSON Pointer, as instance paths are). */
function pointerSegments(pointer: string): string[] {
  if (!pointer.startsWith('/')) return [];
  return pointer.slice(1).split('/').map(unescapePointer);
}

const unescapePointer = (segment: string): string => segment.replaceAll('~1', '/').replaceAll('~0', '~');

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
  for (const segment of pointerSegments(instancePath)) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

const sameSegments = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

function isPrefix(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
