// The SDK's declarations without TypeBox. Each wire shape is declared once, as a TypeBox
// schema with its `Static<>` type (packages/protocol/src). tsc's declarations keep
// `Static<typeof XSchema>`, so an app type-checking against the SDK package would need
// @sinclair/typebox, which the package does not depend on. This rewrites the protocol
// declaration files that tsc emitted beside the SDK's: each `Static<…>` type is spelled out
// from its schema (a schema is JSON Schema, so it says the type), the schemas themselves and
// whatever else names TypeBox are left out (the SDK imports only types and plain constants).
// Run by `npm run build` after tsc: `node --import tsx scripts/plain-protocol-types.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Schema = Record<string, unknown>;

const ident = /^[A-Za-z_$][\w$]*$/;
const key = (name: string) => (ident.test(name) ? name : JSON.stringify(name));

/** The TypeScript type a JSON Schema (as TypeBox builds them) describes. */
export function tsType(schema: Schema, depth = 0): string {
  if (depth > 40) return 'unknown';
  const next = (s: unknown) => tsType(s as Schema, depth + 1);
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) return union(schema.anyOf.map(next));
  if (Array.isArray(schema.oneOf)) return union(schema.oneOf.map(next));
  if (Array.isArray(schema.allOf)) return schema.allOf.map((s) => `(${next(s)})`).join(' & ');
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => JSON.stringify(v)));
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      if (Array.isArray(schema.prefixItems)) return `[${schema.prefixItems.map(next).join(', ')}]`;
      if (Array.isArray(schema.items)) return `[${schema.items.map(next).join(', ')}]`;
      return schema.items ? `(${next(schema.items)})[]` : 'unknown[]';
    }
    case 'object': {
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const properties = Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {});
      const fields = properties.map(([name, s]) => `${key(name)}${required.has(name) ? '' : '?'}: ${next(s)};`);
      const open = [
        ...Object.values((schema.patternProperties as Record<string, Schema> | undefined) ?? {}),
        ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties as Schema] : []),
      ];
      if (open.length) fields.push(`[key: string]: ${union(open.map(next))};`);
      else if (!properties.length && schema.additionalProperties !== false) fields.push('[key: string]: unknown;');
      return `{ ${fields.join(' ')} }`;
    }
    default:
      return 'unknown';
  }
}

const union = (parts: string[]) => [...new Set(parts)].map((p) => (p.includes(' & ') ? `(${p})` : p)).join(' | ') || 'never';

/** Top-level statements of a declaration file, each with the comment above it. */
function statements(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let inComment = false;
  for (const line of text.split('\n')) {
    const starts = !inComment && /^(export |import |declare |type |interface |\/\*\*|\/\/)/.test(line);
    if (starts && current.length && !current.at(-1)?.trimEnd().endsWith('*/')) {
      out.push(current.join('\n'));
      current = [];
    }
    current.push(line);
    if (line.startsWith('/**')) inComment = !line.includes('*/');
    else if (inComment && line.includes('*/')) inComment = false;
  }
  if (current.length) out.push(current.join('\n'));
  return out;
}

/** Rewrites `<typesDir>/protocol/src/*.d.ts` from the schemas of `protocolDir`. */
export async function writePlainProtocolTypes(protocolDir: string, typesDir: string): Promise<void> {
  for (const file of readdirSync(protocolDir).filter((f) => f.endsWith('.ts'))) {
    const declarations = join(typesDir, 'protocol/src', file.replace(/\.ts$/, '.d.ts'));
    const module = (await import(pathToFileURL(join(protocolDir, file)).href)) as Record<string, unknown>;
    const kept: string[] = [];
    for (const statement of statements(readFileSync(declarations, 'utf8'))) {
      // `Static<typeof X>` or `Static<(typeof X)[number]>`: the schema's type, spelled out.
      const spelled = statement.replace(/Static<\(?typeof (\w+)\)?(\[number\])?>/g, (_, name: string, element?: string) => {
        const value = module[name];
        if (value === undefined) throw new Error(`plain-protocol-types: ${file}: ${name} is not exported, so its type cannot be spelled out`);
        return element ? union((value as Schema[]).map((s) => tsType(s))) : tsType(value as Schema);
      });
      if (/@sinclair\/typebox|\bStatic</.test(spelled)) continue;
      kept.push(spelled);
    }
    writeFileSync(declarations, `// Spelled out from packages/protocol/src/${file} by scripts/plain-protocol-types.ts.\n${kept.join('\n')}\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = join(import.meta.dirname, '..');
  await writePlainProtocolTypes(join(root, 'packages/protocol/src'), join(root, 'packages/card-stream/dist/types'));
}
