// Small key/value settings kept in the store (generated secrets, mostly).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The stored value of `key`, creating it with `make()` on first use. Safe when several
 * servers start at once: the first insert wins and everyone reads that one. */
export async function settingOrCreate(db: Kysely<Database>, key: string, make: () => string): Promise<string> {
  await db.insertInto('settings').values({ key, value: make() }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}
