// The demo's sample templates, published on the first demo start of a store that has none.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { settingOrCreate } from '../store/settings.js';
import type { TemplateRepository } from '../templates/repository.js';
import { normaliseTemplate } from '../templates/normalise.js';
import { SAMPLE_TEMPLATES } from './samples.js';

/** The setting is a claim, so of several servers starting at once only one seeds. */
export async function seedSampleTemplates(db: Kysely<Database>, templates: TemplateRepository): Promise<void> {
  const claim = randomUUID();
  if ((await settingOrCreate(db, 'demo_samples_seeded', () => claim)) !== claim) return;
  if ((await templates.list()).length > 0) return;
  for (const input of SAMPLE_TEMPLATES) {
    const created = await templates.create(normaliseTemplate(input));
    await templates.publish(created.id);
  }
}
