// Templates in Postgres: append-only versions; the same definition again is not a new version. Metric
// templates live in `templates`, log templates in `log_templates`, with the same shape and rules.
import { createHash } from 'node:crypto';
import { InputError, type Database, type Queryable } from '@isd/kit';
import type { Template } from '../templates/template';

/** What every stored definition has. */
interface Definition {
  name: string;
  description?: string | undefined;
  /** The owning application; shared templates (admins and editors only) have none. */
  application?: string | null | undefined;
}

/** How much one application's writers may store (config `templates.*`). */
export interface TemplateLimits {
  /** Template names whose latest version belongs to one application. */
  maxPerApplication: number;
  /** Versions of one template name. */
  maxVersions: number;
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
    private readonly limits: TemplateLimits = { maxPerApplication: 200, maxVersions: 1_000 },
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
    const application = definition.application ? definition.application.toLowerCase() : null;
    return this.database.transaction(async (client) => {
      // Writers of one application, then of one name, one at a time (always in this order): two replicas
      // cannot take the same version number, nor pass the application's limit together.
      if (application)
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`autopilot-${this.table}@${application}`]);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`autopilot-${this.table}:${definition.name}`]);
      const latest = await client.query<TemplateRow<D> & { digest: string }>(
        `SELECT *, digest FROM ${this.table} WHERE name = $1 ORDER BY version DESC LIMIT 1`,
        [definition.name],
      );
      const current = latest.rows[0];
      if (current && current.digest === digest) return { template: fromRow(current), created: false };
      await this.checkLimits(client, definition, application, current);
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

  /** Refuses a version beyond `maxVersions`, or a name an application would hold beyond `maxPerApplication`. */
  private async checkLimits(
    client: Queryable,
    definition: D,
    application: string | null,
    current: TemplateRow<D> | undefined,
  ): Promise<void> {
    const kind = this.table === 'templates' ? 'template' : 'log template';
    if (current && current.version >= this.limits.maxVersions)
      throw new InputError(
        `${kind} ${definition.name} has ${current.version} versions, the limit (templates.maxVersions): save it under a new name`,
        {
          code: 'template_version_limit',
          issues: [{ path: 'body.name', message: `at most ${this.limits.maxVersions} versions` }],
        },
      );
    const sameApplication = (current?.definition.application ?? '').toLowerCase() === (application ?? '');
    if (!application || (current && sameApplication)) return;
    const { rows } = await client.query<{ templates: number }>(
      `SELECT count(*)::int AS templates FROM (
         SELECT DISTINCT ON (name) definition->>'application' AS application FROM ${this.table} ORDER BY name, version DESC
       ) latest WHERE lower(latest.application) = $1`,
      [application],
    );
    const held = rows[0]?.templates ?? 0;
    if (held >= this.limits.maxPerApplication)
      throw new InputError(
        `${definition.application} already has ${held} ${kind}s, the limit (templates.maxPerApplication): reuse or rename one`,
        {
          code: 'template_limit',
          issues: [
            { path: 'body.application', message: `at most ${this.limits.maxPerApplication} ${kind}s per application` },
          ],
        },
      );
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
