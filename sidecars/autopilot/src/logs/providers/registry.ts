// Log provider accounts from config; a log template names one and may override its index and message
// fields, so the provider a verification reads with is made per template.
import { InputError } from '@isd/kit';
import type { LogProviderConfig } from '../../config';
import { sideQuery, type LogTemplate } from '../log-template';
import { ProviderError } from '../../providers/provider';
import { LokiLogProvider } from './loki';
import { OpenSearchLogProvider } from './opensearch';
import type { LogProvider, LogProviderAccount } from './provider';
import { SplunkLogProvider } from './splunk';

function authorization(config: LogProviderConfig): string | undefined {
  if (config.type === 'splunk' && config.token) return `Splunk ${config.token}`;
  if (config.bearerToken) return `Bearer ${config.bearerToken}`;
  if (config.username !== undefined)
    return `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
  return undefined;
}

export class LogProviderRegistry {
  constructor(private readonly configs: Record<string, LogProviderConfig>) {}

  names(): string[] {
    return Object.keys(this.configs);
  }

  /** The account a template names (by name, or by type when one account has it); InputError on `path`. */
  account(ref: string, path: string): { name: string; config: LogProviderConfig } {
    // Own entries only: a provider named `constructor` or `toString` is not configured (was a 500).
    const byName = Object.hasOwn(this.configs, ref) ? this.configs[ref] : undefined;
    if (byName) return { name: ref, config: byName };
    const byType = Object.entries(this.configs).filter(([, config]) => config.type === ref);
    if (byType.length === 1) return { name: byType[0]![0], config: byType[0]![1] };
    const message =
      byType.length > 1
        ? `several ${ref} accounts (${byType.map(([name]) => name).join(', ')}); name one`
        : `no log provider account ${ref} (configured: ${this.names().join(', ') || 'none'})`;
    throw new InputError(`${path}: ${message}`, { code: 'unknown_provider', issues: [{ path, message }] });
  }

  /**
   * Checks what a template needs of its account: that it exists, and that an OpenSearch template has an
   * index (its own or the account's). Issues name the template's fields after `prefix` (`body.`, `file.yml:`).
   */
  check(template: LogTemplate, prefix: string): void {
    const { name, config } = this.account(template.provider, `${prefix}provider`);
    if (config.type === 'opensearch' && !template.index && !config.index)
      throw new InputError(`${prefix}index: OpenSearch account ${name} has no default index; name one`, {
        code: 'invalid_template',
        issues: [{ path: `${prefix}index`, message: `OpenSearch account ${name} has no default index; name one` }],
      });
    const index = template.index ?? (config.type === 'opensearch' ? config.index : undefined);
    if (config.type === 'opensearch' && index !== undefined && !/^[^\s/,#]+$/.test(index.replace(/,/g, '')))
      throw new InputError(`${prefix}index: ${JSON.stringify(index)} is not an index name or pattern`, {
        code: 'invalid_template',
        issues: [{ path: `${prefix}index`, message: 'not an index name or pattern' }],
      });
    if (config.type !== 'opensearch' && template.index)
      throw new InputError(`${prefix}index: ${config.type} account ${name} has no indexes; leave index out`, {
        code: 'invalid_template',
        issues: [{ path: `${prefix}index`, message: `${config.type} account ${name} has no indexes; leave index out` }],
      });
  }

  /**
   * Asks the template's provider to parse the query one side would run (`scope`, or a sample scope);
   * a refusal is an InputError on `${prefix}query`. An unreachable provider skips the check (the windows
   * then end in error), as for metric queries.
   */
  async checkQuery(template: LogTemplate, prefix: string, scope?: Record<string, string>): Promise<void> {
    const provider = this.forTemplate(template, prefix);
    if (!provider.checkQuery) return;
    const sample = scope ?? { [template.filterKey ?? 'isd_check']: 'isd-check' };
    let complaint: string | null;
    try {
      complaint = await provider.checkQuery(sideQuery(template, sample, provider.type));
    } catch (error) {
      if (error instanceof ProviderError) return;
      throw error;
    }
    if (complaint)
      throw new InputError(`${prefix}query: ${complaint}`, {
        code: 'invalid_template',
        issues: [{ path: `${prefix}query`, message: complaint }],
      });
  }

  /** The provider one template reads with. */
  forTemplate(template: LogTemplate, prefix = 'logTemplate.'): LogProvider {
    this.check(template, prefix);
    const { name, config } = this.account(template.provider, `${prefix}provider`);
    const auth = authorization(config);
    const account: LogProviderAccount = {
      name,
      baseUrl: config.url,
      timeoutMs: config.timeoutMs,
      pageSize: config.pageSize,
      ...(auth ? { authorization: auth } : {}),
      ...(config.tls ? { tls: config.tls } : {}),
    };
    switch (config.type) {
      case 'opensearch':
        return new OpenSearchLogProvider({
          ...account,
          index: (template.index ?? config.index)!,
          timeField: config.timeField,
          messageFields: template.messageFields,
        });
      case 'loki':
        return new LokiLogProvider({ ...account, ...(config.orgId ? { orgId: config.orgId } : {}) });
      case 'splunk':
        return new SplunkLogProvider(account);
    }
  }
}
