// Templates in Postgres: append-only versions; the same definition again is not a new version.
import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@isd/kit';
import type { Template } from '../templates/template';

/** A stored template version. */
export interface StoredTemplate {
  name: string;
  version: number;
  description: string | null;
  definition: Template;
  source: string;
  createdBy: string | null;
  createdAt: string;
}

interface TemplateRow {
  name: string;
  version: number;
  description: string | null;
  definition: Template;
  source: string;
  created_by: string | null;
  created_at: Date;
}

function fromRow(row: TemplateRow): StoredTemplate {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    definition: row.definition,
    source: row.source,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** Stable JSON (sorted keys) so equal definitions have equal digests. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Versioned metric templates in Postgres. */
export class TemplateStore {
  constructor(private readonly database: Database) {}

  /**
   * Saves a definition as the next version of its name; when it equals the latest version, that version
   * is returned instead (`created` false), so re-posting or re-loading a file is idempotent.
   */
  async save(
    definition: Template,
    source: string,
    createdBy: string | null,
  ): Promise<{ template: StoredTemplate; created: boolean }> {
    const digest = createHash('sha256').update(canonicalJson(definition)).digest('hex');
    return this.database.transaction(async (client) => {
      // Serialise writers of one name so two replicas cannot both take the same version number.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`autopilot-template:${definition.name}`]);
      const latest = await client.query<TemplateRow & { digest: string }>(
        'SELECT *, digest FROM templates WHERE name = $1 ORDER BY version DESC LIMIT 1',
        [definition.name],
      );
      const current = latest.rows[0];
      if (current && current.digest === digest) return { template: fromRow(current), created: false };
      const inserted = await client.query<TemplateRow>(
        `INSERT INTO templates (name, version, description, definition, digest, source, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [
          definition.name,
          (current?.version ?? 0) + 1,
          definition.description ?? null,
          JSON.stringify(definition),
          digest,
          source,
          createdBy,
        ],
      );
      return { template: fromRow(inserted.rows[0]!), created: true };
    });
  }

  /** One version, or the latest when `version` is absent; undefined when unknown. */
  async get(name: string, version?: number, client: Queryable = this.database): Promise<StoredTemplate | undefined> {
    const result =
      version === undefined
        ? await client.query<TemplateRow>('SELECT * FROM templates WHERE name = $1 ORDER BY version DESC LIMIT 1', [
            name,
          ])
        : await client.query<TemplateRow>('SELECT * FROM templates WHERE name = $1 AND version = $2', [name, version]);
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** The latest version of every template, by name. */
  async listLatest(): Promise<StoredTemplate[]> {
    const result = await this.database.query<TemplateRow>(
      'SELECT DISTINCT ON (name) * FROM templates ORDER BY name, version DESC',
    );
    return result.rows.map(fromRow);
  }

  /** Every version of one template, newest first. */
  async versions(name: string): Promise<StoredTemplate[]> {
    const result = await this.database.query<TemplateRow>(
      'SELECT * FROM templates WHERE name = $1 ORDER BY version DESC',
      [name],
    );
    return result.rows.map(fromRow);
  }
}
