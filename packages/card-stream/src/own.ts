// Card content names its own keys (subviews, runtime variables); a name like "constructor"
// or "__proto__" must find nothing rather than what every object inherits.

/** `record[key]` when it is the record's own entry, else undefined. */
export function ownEntry<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
