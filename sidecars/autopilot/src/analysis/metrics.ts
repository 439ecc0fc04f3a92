// Autopilot's own Prometheus metrics, on the service's registry beside the kit's HTTP metrics.
import { Counter, Histogram, type Registry } from 'prom-client';

/** What operators watch: verdicts, window phases, provider health. */
export interface AutopilotMetrics {
  verificationsFinished: Counter<'status'>;
  windowsJudged: Counter<'judge' | 'classification'>;
  windowPhaseSeconds: Histogram<'phase'>;
  providerRequests: Counter<'provider' | 'outcome'>;
}

/** Registers autopilot's metrics on a registry. */
export function createAutopilotMetrics(registry: Registry): AutopilotMetrics {
  return {
    verificationsFinished: new Counter({
      name: 'autopilot_verifications_finished_total',
      help: 'Verifications that reached a final status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    windowsJudged: new Counter({
      name: 'autopilot_windows_judged_total',
      help: 'Analysis windows judged, by judge and interval classification',
      labelNames: ['judge', 'classification'] as const,
      registers: [registry],
    }),
    windowPhaseSeconds: new Histogram({
      name: 'autopilot_window_phase_seconds',
      help: 'Time spent per analysis window in each phase (fetch, judge, store)',
      labelNames: ['phase'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    providerRequests: new Counter({
      name: 'autopilot_provider_requests_total',
      help: 'Provider fetches, by account and outcome (ok, unavailable, query)',
      labelNames: ['provider', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
