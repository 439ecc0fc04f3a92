// Provider accounts by name, built from the config; a metric names an account, a type, or nothing.
import { InputError } from '@isd/kit';
import type { ProviderConfig } from '../config';
import { createAppDynamicsProvider } from './appdynamics';
import { createCloudWatchProvider } from './cloudwatch';
import { createDatadogProvider } from './datadog';
import { createGraphiteProvider } from './graphite';
import { createInfluxdbProvider } from './influxdb';
import { createDynatraceProvider } from './dynatrace';
import { createNewRelicProvider } from './newrelic';
import { createPrometheusProvider } from './prometheus';
import { createSignalFxProvider } from './signalfx';
import { createStackdriverProvider } from './stackdriver';
import type { MetricsProvider } from './provider';
import { createWavefrontProvider } from './wavefront';

/** The configured provider accounts. */
export class ProviderRegistry {
  private readonly providers = new Map<string, MetricsProvider>();

  constructor(
    configs: Record<string, ProviderConfig>,
    private readonly defaultProvider?: string,
  ) {
    for (const [name, config] of Object.entries(configs)) this.providers.set(name, createProvider(name, config));
  }

  /** Names of the configured accounts. */
  names(): string[] {
    return [...this.providers.keys()];
  }

  /**
   * The account a metric uses: `ref` as an account name, else as a type with one account of it, else the
   * default (the configured default or the only account). Throws `InputError` on `path` when none fits.
   */
  resolve(ref: string | undefined, path: string): MetricsProvider {
    if (ref !== undefined) {
      const byName = this.providers.get(ref);
      if (byName) return byName;
      const byType = [...this.providers.values()].filter((provider) => provider.type === ref);
      if (byType.length === 1) return byType[0]!;
      if (byType.length > 1 && this.defaultProvider && this.providers.get(this.defaultProvider)?.type === ref)
        return this.providers.get(this.defaultProvider)!;
      if (byType.length > 1) {
        throw new InputError(
          `${path}: several ${ref} accounts (${byType.map((provider) => provider.name).join(', ')}); name one`,
          {
            code: 'ambiguous_provider',
            issues: [{ path, message: `several ${ref} accounts: name one` }],
          },
        );
      }
      throw new InputError(
        `${path}: no provider account ${JSON.stringify(ref)} (configured: ${this.names().join(', ') || 'none'})`,
        {
          code: 'unknown_provider',
          issues: [{ path, message: `unknown provider ${JSON.stringify(ref)}` }],
        },
      );
    }
    const fallback = this.defaultProvider
      ? this.providers.get(this.defaultProvider)
      : this.providers.size === 1
        ? [...this.providers.values()][0]
        : undefined;
    if (fallback) return fallback;
    throw new InputError(
      `${path}: the metric names no provider and there is no default (configured: ${this.names().join(', ') || 'none'})`,
      {
        code: 'unknown_provider',
        issues: [{ path, message: 'name a provider account' }],
      },
    );
  }
}

/** Creates the provider client of one account. */
export function createProvider(name: string, config: ProviderConfig): MetricsProvider {
  switch (config.type) {
    case 'prometheus':
      return createPrometheusProvider(name, config);
    case 'datadog':
      return createDatadogProvider(name, config);
    case 'newrelic':
      return createNewRelicProvider(name, config);
    case 'graphite':
      return createGraphiteProvider(name, config);
    case 'influxdb':
      return createInfluxdbProvider(name, config);
    case 'cloudwatch':
      return createCloudWatchProvider(name, config);
    case 'stackdriver':
      return createStackdriverProvider(name, config);
    case 'dynatrace':
      return createDynatraceProvider(name, config);
    case 'signalfx':
      return createSignalFxProvider(name, config);
    case 'wavefront':
      return createWavefrontProvider(name, config);
    case 'appdynamics':
      return createAppDynamicsProvider(name, config);
  }
}
