// `{{name}}` placeholders are filled by the server when a card is sent; `!{name}` runtime
// variables are left for the browser (CONTRACT §6).
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Every `{{name}}` in any string inside `value`. */
export function placeholdersIn(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER)) found.add(m[1] as string);
  } else if (Array.isArray(value)) {
    for (const v of value) placeholdersIn(v, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) placeholdersIn(v, found);
  }
  return found;
}

/** A copy of `value` with each placeholder replaced in one pass, so a value that itself
 * contains `{{…}}` is inserted literally and never expanded again. */
export function fillPlaceholders<T>(value: T, variables: Record<string, string>): T {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(PLACEHOLDER, (_, name: string) => (Object.hasOwn(variables, name) ? (variables[name] as string) : ''));
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(value) as T;
}
