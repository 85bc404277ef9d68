// API credentials. A secret is only ever stored as its SHA-256: secrets are 256 random bits
// (a slow hash adds nothing there), and a digest can be looked up when a secret arrives as
// a static key.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ROLES, type Role } from '../auth/roles.js';

export interface Credential {
  clientId: string;
  roles: Role[];
  created: string;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
export const generateSecret = (): string => `css_${randomBytes(32).toString('base64url')}`;

const toCredential = (row: { client_id: string; roles: string; created: number }): Credential => ({
  clientId: row.client_id,
  roles: (JSON.parse(row.roles) as Role[]).filter((r) => (ROLES as readonly string[]).includes(r)),
  created: new Date(row.created).toISOString(),
});

export class CredentialRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(roles: Role[], clientId: string = randomUUID()): Promise<Credential & { clientSecret: string }> {
    const clientSecret = generateSecret();
    const row = { client_id: clientId, secret_hash: hashSecret(clientSecret), roles: JSON.stringify(roles), created: Date.now() };
    await this.db.insertInto('credentials').values(row).execute();
    return { ...toCredential(row), clientSecret };
  }

  /** Makes `clientId` a credential with every role and the secret `secret` (the bootstrap key). */
  async upsertWithSecret(clientId: string, secret: string): Promise<void> {
    const row = { client_id: clientId, secret_hash: hashSecret(secret), roles: JSON.stringify(ROLES), created: Date.now() };
    await this.db
      .insertInto('credentials')
      .values(row)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ secret_hash: row.secret_hash, roles: row.roles }))
      .execute();
  }

  async list(): Promise<Credential[]> {
    const rows = await this.db.selectFrom('credentials').select(['client_id', 'roles', 'created']).orderBy('created').execute();
    return rows.map(toCredential);
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('credentials').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findBySecret(secret: string): Promise<Credential | undefined> {
    const row = await this.db
      .selectFrom('credentials')
      .select(['client_id', 'roles', 'created'])
      .where('secret_hash', '=', hashSecret(secret))
      .executeTakeFirst();
    return row && toCredential(row);
  }

  async find(clientId: string): Promise<Credential | undefined> {
    const row = await this.db
      .selectFrom('credentials')
      .select(['client_id', 'roles', 'created'])
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row && toCredential(row);
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('credentials').where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
