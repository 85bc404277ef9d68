// Card templates with versions. The template row points at its latest and its published
// version; each version is kept whole so a card records exactly what it was sent with.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CardTemplateVersionsTable, Database } from '../store/schema.js';
import type { CardDefinition } from '../../../protocol/src/definition.js';
import type { CardOptions } from '../../../protocol/src/cards.js';
import type { RuntimeVariable, Template, TemplateInput } from '../../../protocol/src/templates.js';

/** One version of a template, as a send uses it. */
export type TemplateVersion = Omit<Template, 'published' | 'publishedVersion' | 'created' | 'updated'>;

/** Versions kept in memory: a version never changes once saved, so it can be kept for good. */
const CACHED_VERSIONS = 1000;

export class TemplateRepository {
  private readonly versions = new Map<string, TemplateVersion>();
  /** Which versions each template's `start` and `test` send, when this process is the
   * store's only writer (a SQLite store): then only this process changes them. */
  private readonly pointers = new Map<string, { published_version: number | null; latest_version: number }>();
  private pointerChanges = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly soleWriter = false,
  ) {}

  async create(input: TemplateInput): Promise<Template> {
    const id = randomUUID();
    const now = Date.now();
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('card_templates')
        .values({ id, name: input.name, stream_id: input.streamId ?? 'default', latest_version: 1, published_version: null, created: now, updated: now })
        .execute();
      await tx.insertInto('card_template_versions').values(versionRow(id, 1, input, now)).execute();
    });
    return (await this.get(id)) as Template;
  }

  /** Adds a new, unpublished version; undefined when there is no such template. */
  async update(id: string, input: TemplateInput): Promise<Template | undefined> {
    const now = Date.now();
    const found = await this.db.transaction().execute(async (tx) => {
      // Bumping the counter first takes the row lock, so two concurrent updates get
      // different version numbers.
      const bumped = await tx
        .updateTable('card_templates')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), name: input.name, stream_id: input.streamId ?? 'default', updated: now }))
        .where('id', '=', id)
        .returning('latest_version')
        .executeTakeFirst();
      if (!bumped) return false;
      await tx.insertInto('card_template_versions').values(versionRow(id, bumped.latest_version, input, now)).execute();
      return true;
    });
    this.forgetPointer(id);
    return found ? this.get(id) : undefined;
  }

  /** Publishes the latest version; undefined when there is no such template. */
  async publish(id: string): Promise<Template | undefined> {
    const result = await this.db
      .updateTable('card_templates')
      .set((eb) => ({ published_version: eb.ref('latest_version'), updated: Date.now() }))
      .where('id', '=', id)
      .executeTakeFirst();
    this.forgetPointer(id);
    return Number(result.numUpdatedRows) ? this.get(id) : undefined;
  }

  async get(id: string): Promise<Template | undefined> {
    const rows = await this.baseQuery().where('t.id', '=', id).execute();
    return rows[0] && toTemplate(rows[0]);
  }

  async list(): Promise<Template[]> {
    const rows = await this.baseQuery().orderBy('t.created').orderBy('t.id').execute();
    return rows.map(toTemplate);
  }

  /** Version `version` of template `id` (it exists: a send job recorded it). */
  async versionAt(id: string, version: number): Promise<TemplateVersion> {
    const key = `${id}:${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const row = await this.db.selectFrom('card_template_versions').selectAll().where('template_id', '=', id).where('version', '=', version).executeTakeFirstOrThrow();
    return this.remember(key, toVersion(row));
  }

  private remember(key: string, version: TemplateVersion): TemplateVersion {
    if (this.versions.size >= CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value as string);
    this.versions.set(key, version);
    return version;
  }

  /** The version a send uses: the published one for live sends, the latest for tests. */
  async version(id: string, which: 'published' | 'latest'): Promise<TemplateVersion | 'no_template' | 'not_published'> {
    const t = this.pointers.get(id) ?? (await this.readPointer(id));
    if (!t) return 'no_template';
    const version = which === 'published' ? t.published_version : t.latest_version;
    if (version === null) return 'not_published';
    const key = `${id}:${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const v = await this.db
      .selectFrom('card_template_versions')
      .selectAll()
      .where('template_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirstOrThrow();
    return this.remember(key, toVersion(v));
  }

  private async readPointer(id: string) {
    const changes = this.pointerChanges;
    const t = await this.db.selectFrom('card_templates').select(['published_version', 'latest_version']).where('id', '=', id).executeTakeFirst();
    // Kept only if no update or publish committed meanwhile (the read may predate it).
    if (t && this.soleWriter && changes === this.pointerChanges) this.pointers.set(id, t);
    return t;
  }

  /** After an update or publish has committed. */
  private forgetPointer(id: string): void {
    this.pointerChanges++;
    this.pointers.delete(id);
  }

  private baseQuery() {
    return this.db
      .selectFrom('card_templates as t')
      .innerJoin('card_template_versions as v', (join) => join.onRef('v.template_id', '=', 't.id').onRef('v.version', '=', 't.latest_version'))
      .select(['t.id', 't.published_version', 't.created', 't.updated', 'v.template_id', 'v.version', 'v.name', 'v.stream_id', 'v.definition', 'v.runtime_variables', 'v.card_options']);
  }
}

function versionRow(id: string, version: number, input: TemplateInput, now: number) {
  return {
    template_id: id,
    version,
    name: input.name,
    stream_id: input.streamId ?? 'default',
    definition: JSON.stringify(input.definition),
    runtime_variables: JSON.stringify(input.runtimeVariables ?? []),
    card_options: JSON.stringify(input.cardOptions ?? {}),
    created: now,
  };
}

type VersionRow = Omit<CardTemplateVersionsTable, 'created'>;

function toVersion(v: VersionRow): TemplateVersion {
  return {
    id: v.template_id,
    name: v.name,
    streamId: v.stream_id,
    version: v.version,
    definition: JSON.parse(v.definition) as CardDefinition,
    runtimeVariables: JSON.parse(v.runtime_variables) as RuntimeVariable[],
    cardOptions: JSON.parse(v.card_options) as CardOptions,
  };
}

function toTemplate(row: VersionRow & { published_version: number | null; created: number; updated: number }): Template {
  return {
    ...toVersion(row),
    published: row.published_version === row.version,
    publishedVersion: row.published_version,
    created: new Date(row.created).toISOString(),
    updated: new Date(row.updated).toISOString(),
  };
}
