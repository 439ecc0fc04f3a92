// Accounts sapor manages and their history, in Postgres (migrations/004_accounts.sql). Nothing here is
// a credential: the definition holds the kubeconfig's summary, `credentials` the serials to revoke.
import type { Database, Queryable } from '@isd/kit';
import type { KubeconfigSummary } from './kubeconfig';

/** The stored, credential-free definition of an account. */
export interface AccountDefinition {
  name: string;
  type: 'kubernetes';
  kubeconfig: KubeconfigSummary;
  agent: { name: string; namespace: string } | null;
  namespaces: string[];
  omitNamespaces: string[];
  environment: string;
  permissions: { READ?: string[]; WRITE?: string[]; EXECUTE?: string[] };
}

/** Certificates the tunnel controller issued for an account, revoked when it is deleted. */
export interface IssuedCredentials {
  /** Serial (hex) of the kubeconfig's client certificate, when the controller issued one. */
  userSerial?: string;
  /** Serial (hex) of the agent's certificate, when this account's creation issued the agent manifest. */
  agentSerial?: string;
}

export interface StoredAccount {
  definition: AccountDefinition;
  version: number;
  backend: 'clouddriver' | 'git';
  credentials: IssuedCredentials;
  revision: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface HistoryEntry {
  version: number;
  action: 'created' | 'updated' | 'deleted';
  backend: 'clouddriver' | 'git';
  actor: string;
  occurredAt: string;
  revision: string | null;
  definition: AccountDefinition | null;
}

interface AccountRow {
  name: string;
  version: number;
  backend: 'clouddriver' | 'git';
  definition: AccountDefinition;
  credentials: IssuedCredentials;
  revision: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

const toAccount = (row: AccountRow): StoredAccount => ({
  definition: row.definition,
  version: row.version,
  backend: row.backend,
  credentials: row.credentials,
  revision: row.revision,
  createdAt: row.created_at.toISOString(),
  createdBy: row.created_by,
  updatedAt: row.updated_at.toISOString(),
  updatedBy: row.updated_by,
});

/** One change to record: the account after it (null when deleted) and who made it. */
export interface AccountChange {
  name: string;
  action: 'created' | 'updated' | 'deleted';
  actor: string;
  backend: 'clouddriver' | 'git';
  definition: AccountDefinition | null;
  credentials: IssuedCredentials;
  revision: string | null;
  /** The version the change was based on (undefined for a create). */
  expectedVersion?: number;
}

export class AccountStore {
  constructor(private readonly database: Database) {}

  /** Takes the account's lease for `holder` unless another holder's lease is still running. */
  async acquire(name: string, holder: string, leaseMs: number): Promise<boolean> {
    const { rows } = await this.database.query(
      `INSERT INTO account_locks (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE account_locks.expires_at < now() RETURNING holder`,
      [name, holder, leaseMs],
    );
    return rows.length > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.database.query('DELETE FROM account_locks WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async get(name: string): Promise<StoredAccount | undefined> {
    const { rows } = await this.database.query<AccountRow>('SELECT * FROM accounts WHERE name = $1', [name]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /** Accounts by name, `limit` of them after the name `after` (keyset paging: the primary key orders them). */
  async list(page: { after?: string; limit: number }): Promise<StoredAccount[]> {
    const { rows } = await this.database.query<AccountRow>(
      'SELECT * FROM accounts WHERE ($1::text IS NULL OR name > $1) ORDER BY name LIMIT $2',
      [page.after ?? null, page.limit],
    );
    return rows.map(toAccount);
  }

  /** Accounts (other than `except`) reaching the cluster through `agentName`. */
  async usingAgent(agentName: string, except: string): Promise<StoredAccount[]> {
    const { rows } = await this.database.query<AccountRow>(
      "SELECT * FROM accounts WHERE definition->'agent'->>'name' = $1 AND name <> $2",
      [agentName, except],
    );
    return rows.map(toAccount);
  }

  async history(name: string): Promise<HistoryEntry[]> {
    const { rows } = await this.database.query<{
      version: number;
      action: HistoryEntry['action'];
      backend: HistoryEntry['backend'];
      actor: string;
      occurred_at: Date;
      revision: string | null;
      definition: AccountDefinition | null;
    }>('SELECT * FROM account_history WHERE name = $1 ORDER BY version DESC', [name]);
    return rows.map((row) => ({
      version: row.version,
      action: row.action,
      backend: row.backend,
      actor: row.actor,
      occurredAt: row.occurred_at.toISOString(),
      revision: row.revision,
      definition: row.definition,
    }));
  }

  /**
   * Records a change and its history entry in one transaction; returns the new version, or undefined when
   * the account moved since `expectedVersion` (another replica changed it) or already exists on create.
   */
  async record(change: AccountChange): Promise<{ version: number; account: StoredAccount | undefined } | undefined> {
    return this.database.transaction(async (client) => {
      const version = await nextVersion(client, change.name);
      let account: StoredAccount | undefined;
      if (change.action === 'created') {
        const { rows } = await client.query<AccountRow>(
          `INSERT INTO accounts (name, version, backend, definition, credentials, revision, created_by, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (name) DO NOTHING RETURNING *`,
          [
            change.name,
            version,
            change.backend,
            JSON.stringify(change.definition),
            JSON.stringify(change.credentials),
            change.revision,
            change.actor,
          ],
        );
        if (!rows[0]) return undefined;
        account = toAccount(rows[0]);
      } else if (change.action === 'updated') {
        const { rows } = await client.query<AccountRow>(
          `UPDATE accounts SET version = $2, backend = $3, definition = $4, credentials = $5, revision = $6,
             updated_at = now(), updated_by = $7 WHERE name = $1 AND version = $8 RETURNING *`,
          [
            change.name,
            version,
            change.backend,
            JSON.stringify(change.definition),
            JSON.stringify(change.credentials),
            change.revision,
            change.actor,
            change.expectedVersion,
          ],
        );
        if (!rows[0]) return undefined;
        account = toAccount(rows[0]);
      } else {
        const { rowCount } = await client.query('DELETE FROM accounts WHERE name = $1 AND version = $2', [
          change.name,
          change.expectedVersion,
        ]);
        if (!rowCount) return undefined;
      }
      await client.query(
        `INSERT INTO account_history (name, version, action, backend, actor, definition, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          change.name,
          version,
          change.action,
          change.backend,
          change.actor,
          change.definition ? JSON.stringify(change.definition) : null,
          change.revision,
        ],
      );
      return { version, account };
    });
  }
}

/** Versions continue across a delete and re-create, so history never has two entries with one number. */
async function nextVersion(client: Queryable, name: string): Promise<number> {
  const { rows } = await client.query<{ max: number | null }>(
    'SELECT max(version) AS max FROM account_history WHERE name = $1',
    [name],
  );
  return (rows[0]?.max ?? 0) + 1;
}
