// The store itself, on SQLite and PostgreSQL: migrations, settings, persistence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../packages/card-stream-server/src/store/database.js';
import { migrationProvider } from '../../packages/card-stream-server/src/store/migrations.js';
import { settingOrCreate } from '../../packages/card-stream-server/src/store/settings.js';
import { CredentialRepository } from '../../packages/card-stream-server/src/auth/credentials.js';
import { TemplateRepository } from '../../packages/card-stream-server/src/templates/repository.js';
import { freshStore, STORE_KINDS } from './harness.js';

for (const kind of STORE_KINDS) {
  describe(`storage (${kind})`, () => {
    test('migrations run once, data survives a reopen, and settings are created once under concurrency', async () => {
      const fresh = await freshStore(kind);
      try {
        let store = await openStore(fresh.options);
        const values = await Promise.all(Array.from({ length: 5 }, (_, i) => settingOrCreate(store.db, 'secret', () => `value-${i}`)));
        assert.equal(new Set(values).size, 1);
        const templates = new TemplateRepository(store.db);
        const created = await templates.create({ name: 'Kept', definition: { blocks: [{ type: 'divider' }] } });
        await Promise.all([1, 2, 3].map(() => templates.update(created.id, { name: 'Kept', definition: { blocks: [] } })));
        const creds = new CredentialRepository(store.db);
        const cred = await creds.create(['events']);
        await store.close();

        store = await openStore(fresh.options);
        try {
          const migrations = (await store.db.selectFrom('kysely_migration' as never).selectAll().execute()) as { name: string }[];
          const expected = Object.keys(await migrationProvider(store.kind).getMigrations()).sort();
          assert.ok(expected.length >= 2);
          assert.deepEqual(migrations.map((m) => m.name).sort(), expected, 'each migration ran once');
          assert.equal(await settingOrCreate(store.db, 'secret', () => 'other'), values[0]);
          const again = await new TemplateRepository(store.db).get(created.id);
          assert.equal(again?.version, 4, 'concurrent updates got distinct versions');
          assert.equal((await new CredentialRepository(store.db).findBySecret(cred.clientSecret))?.clientId, cred.clientId);
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}
