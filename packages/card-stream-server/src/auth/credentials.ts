// API credentials (CONTRACT §2). A secret is only ever stored as its SHA-256: secrets are
// 256 random bits (a slow hash adds nothing there), and a digest can be looked up when a
// secret arrives as a static key.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { ROLES, type CreatedCredential, type Credential, type Role } from '../../../protocol/src/auth.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
export const generateSecret = (): string => `css_${randomBytes(32).toString('base64url')}`;

const toCredential = (row: { client_id: string; roles: string; created: number }): Credential => ({
  clientId: row.client_id,
  roles: (JSON.parse(row.roles) as Role[]).filter((r) => (ROLES as readonly string[]).includes(r)),
  created: new Date(row.created).toISOString(),
});

export class CredentialRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Store.readDb: every request's credential is looked up (CredentialResolver), and need not wait for a write in progress. */
    private readonly readDb: Kysely<Database> = db,
  ) {}

  /** A credential made by another may hold only roles its maker holds. */
  async createBy(maker: Credential, roles: Role[]): Promise<CreatedCredential> {
    const missing = roles.filter((role) => !maker.roles.includes(role));
    if (missing.length) {
      throw new Forbidden('role_not_held', `A credential can grant only roles it holds; this one lacks ${missing.map((r) => `"${r}"`).join(', ')}.`);
    }
    return this.create(roles);
  }

  async create(roles: Role[], clientId: string = randomUUID()): Promise<CreatedCredential> {
    const clientSecret = generateSecret();
    const row = { client_id: clientId, secret_hash: hashSecret(clientSecret), roles: JSON.stringify(roles), created: Date.now() };
    await this.db.insertInto('credentials').values(row).execute();
    return { ...toCredential(row), clientSecret };
  }

  /** Makes `clientId` a credential with `roles` (every role by default) and the secret `secret`. */
  async upsertWithSecret(clientId: string, secret: string, roles: readonly Role[] = ROLES): Promise<void> {
    const row = { client_id: clientId, secret_hash: hashSecret(secret), roles: JSON.stringify(roles), created: Date.now() };
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
    const row = await this.readDb
      .selectFrom('credentials')
      .select(['client_id', 'roles', 'created'])
      .where('secret_hash', '=', hashSecret(secret))
      .executeTakeFirst();
    return row && toCredential(row);
  }

  async find(clientId: string): Promise<Credential | undefined> {
    const row = await this.readDb
      .selectFrom('credentials')
      .select(['client_id', 'roles', 'created'])
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row && toCredential(row);
  }

  /** Deletes a credential; refuses the last one with the workbench role, without which
   * nobody could manage credentials any more. */
  async revoke(clientId: string): Promise<void> {
    const target = await this.find(clientId);
    if (!target) throw new NotFound('credential_not_found', `There is no credential ${clientId}.`);
    if (target.roles.includes('workbench')) {
      const others = (await this.list()).filter((c) => c.clientId !== target.clientId && c.roles.includes('workbench'));
      if (others.length === 0) {
        throw new Conflict('last_workbench_credential', 'This is the last credential with the workbench role; create another first.');
      }
    }
    await this.db.deleteFrom('credentials').where('client_id', '=', clientId).execute();
  }
}
