// Prometheus gauges with the same numbers as GET /api/v1/insights/dora (per application and environment,
// over a trailing window), computed from sapor's tables when scraped.
import { Gauge, type Registry } from 'prom-client';
import { measure, type DeploymentRow } from './dora';
import type { InsightsSync } from './sync';

const DAY_MS = 86_400_000;

export function registerInsightsMetrics(registry: Registry, sync: InsightsSync, windowDays: number): void {
  const labelNames = ['application', 'environment'] as const;
  // prom-client collects every metric of a scrape concurrently: the first gauge starts one refresh, the
  // others wait for the same one, so each is written out after it is filled.
  let refreshing: Promise<void> | undefined;
  const refresh = () =>
    (refreshing ??= fill().finally(() => {
      refreshing = undefined;
    }));
  const collect = async () => {
    await refresh();
  };
  const syncAge = new Gauge({
    name: 'isd_insights_last_sync_age_seconds',
    help: 'Seconds since the last successful sync of executions from Gate (-1 = never)',
    registers: [registry],
    collect,
  });
  async function fill(): Promise<void> {
    const state = await sync.readState();
    stale.set(state.stale ? 1 : 0);
    syncAge.set(state.lastSuccessAt ? (Date.now() - Date.parse(state.lastSuccessAt)) / 1000 : -1);
    const to = new Date();
    const from = new Date(to.getTime() - windowDays * DAY_MS);
    const rows = await sync.deployments({ finishedFrom: from }, { all: true });
    const groups = new Map<string, DeploymentRow[]>();
    for (const row of rows) {
      const key = JSON.stringify([row.application.toLowerCase(), row.environment]);
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const gauge of Object.values(gauges)) gauge.reset();
    for (const [key, groupRows] of groups) {
      const [application, environment] = JSON.parse(key) as [string, string];
      const labels = { application, environment };
      const measures = measure(groupRows, [], from, new Date(to.getTime() + 1));
      gauges.deployments.set(labels, measures.deployments.successful);
      gauges.failures.set(labels, measures.deployments.failed);
      if (measures.changeFailureRate !== null) gauges.changeFailureRate.set(labels, measures.changeFailureRate);
      if (measures.leadTimeMs.median !== null) gauges.leadTime.set(labels, measures.leadTimeMs.median / 1000);
      if (measures.timeToRestoreMs.median !== null) gauges.restore.set(labels, measures.timeToRestoreMs.median / 1000);
    }
  }
  const stale = new Gauge({
    name: 'isd_insights_stale',
    help: '1 when the insights data is stale (the last successful sync is too old)',
    registers: [registry],
    collect,
  });
  const gauges = {
    deployments: new Gauge({
      name: 'isd_insights_deployments',
      help: `Successful deployments in the last ${windowDays} days`,
      labelNames,
      registers: [registry],
      collect,
    }),
    failures: new Gauge({
      name: 'isd_insights_failed_deployments',
      help: `Failed deployments in the last ${windowDays} days`,
      labelNames,
      registers: [registry],
      collect,
    }),
    changeFailureRate: new Gauge({
      name: 'isd_insights_change_failure_rate',
      help: `Failed / finished deployments in the last ${windowDays} days`,
      labelNames,
      registers: [registry],
      collect,
    }),
    leadTime: new Gauge({
      name: 'isd_insights_lead_time_seconds_median',
      help: `Median lead time for changes (trigger to successful end) in the last ${windowDays} days`,
      labelNames,
      registers: [registry],
      collect,
    }),
    restore: new Gauge({
      name: 'isd_insights_time_to_restore_seconds_median',
      help: `Median time to restore (first failure to next success) in the last ${windowDays} days`,
      labelNames,
      registers: [registry],
      collect,
    }),
  };
  void syncAge;
}
