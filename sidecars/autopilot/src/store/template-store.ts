// Templates in Postgres: append-only versions; the same definition again is not a new version. Metric
// templates live in `templates`, log templates in `log_templates`, with the same shape and rules.
import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@isd/kit';
import type { Template } from '../templates/template';

/** What every stored definition has. */
interface Definition {
  name: string;
  description?: string | undefined;
}

/** A stored template version. */
export interface StoredTemplate<D extends Definition = Template> {
  name: string;
  version: number;
  description: string | null;
  definition: D;
  source: string;
  createdBy: string | null;
  createdAt: string;
}

interface TemplateRow<D> {
  name: string;
  version: number;
  description: string | null;
  definition: D;
  source: string;
  created_by: string | null;
  created_at: Date;
}

function fromRow<D extends Definition>(row: TemplateRow<D>): StoredTemplate<D> {
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

/** Versioned templates in Postgres (metric templates by default). */
export class TemplateStore<D extends Definition = Template> {
  constructor(
    private readonly database: Database,
    private readonly table: 'templates' | 'log_templates' = 'templates',
  ) {}

  /**
   * Saves a definition as the next version of its name; when it equals the latest version, that version
   * is returned instead (`created` false), so re-posting or re-loading a file is idempotent.
   */
  async save(
    definition: D,
    source: string,
    createdBy: string | null,
  ): Promise<{ template: StoredTemplate<D>; created: boolean }> {
    const digest = createHash('sha256').update(canonicalJson(definition)).digest('hex');
    return this.database.transaction(async (client) => {
      // Serialise writers of one name so two replicas cannot both take the same version number.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`autopilot-${this.table}:${definition.name}`]);
      const latest = await client.query<TemplateRow<D> & { digest: string }>(
        `SELECT *, digest FROM ${this.table} WHERE name = $1 ORDER BY version DESC LIMIT 1`,
        [definition.name],
      );
      const current = latest.rows[0];
      if (current && current.digest === digest) return { template: fromRow(current), created: false };
      const inserted = await client.query<TemplateRow<D>>(
        `INSERT INTO ${this.table} (name, version, description, definition, digest, source, created_by)
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
  async get(name: string, version?: number, client: Queryable = this.database): Promise<StoredTemplate<D> | undefined> {
    const result =
      version === undefined
        ? await client.query<TemplateRow<D>>(
            `SELECT * FROM ${this.table} WHERE name = $1 ORDER BY version DESC LIMIT 1`,
            [name],
          )
        : await client.query<TemplateRow<D>>(`SELECT * FROM ${this.table} WHERE name = $1 AND version = $2`, [
            name,
            version,
          ]);
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  /** The latest version of every template, by name. */
  async listLatest(): Promise<StoredTemplate<D>[]> {
    const result = await this.database.query<TemplateRow<D>>(
      `SELECT DISTINCT ON (name) * FROM ${this.table} ORDER BY name, version DESC`,
    );
    return result.rows.map((row) => fromRow(row));
  }

  /** Every version of one template, newest first. */
  async versions(name: string): Promise<StoredTemplate<D>[]> {
    const result = await this.database.query<TemplateRow<D>>(
      `SELECT * FROM ${this.table} WHERE name = $1 ORDER BY version DESC`,
      [name],
    );
    return result.rows.map((row) => fromRow(row));
  }
}
