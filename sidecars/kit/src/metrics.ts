import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** Metrics of one service: its own registry, so tests and several apps in one process never collide. */
export interface ServiceMetrics {
  registry: Registry;
  /** `http_requests_total` and `http_request_duration_seconds`, by method, route template and status. */
  http: HttpRequestMetrics;
}

/** Creates a registry with process metrics and the HTTP request count and latency histogram. */
export function createServiceMetrics(service: string, options: { processMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return { registry, http: new HttpRequestMetrics(registry) };
}

const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One sample as prom-client's registry formats it. */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sumSeconds: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  bucketCounts: number[];
}

/**
 * Request count and latency kept as plain numbers per series and turned into Prometheus metrics when
 * scraped. prom-client's own Counter and Histogram hash the label object on every observation, which
 * cost more than the rest of a status poll's bookkeeping.
 */
export class HttpRequestMetrics {
  private readonly series = new Map<string, Series>();

  constructor(registry: Registry) {
    registry.registerMetric(
      this.metric('http_requests_total', 'HTTP requests handled, by route template and status', 'counter', () =>
        [...this.series.values()].map((series) => ({ labels: { ...series.labels }, value: series.count })),
      ),
    );
    registry.registerMetric(
      this.metric(
        'http_request_duration_seconds',
        'HTTP request latency, by route template and status',
        'histogram',
        () => [...this.series.values()].flatMap(histogramValues),
      ),
    );
  }

  /** Counts one request and its duration. */
  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        count: 0,
        sumSeconds: 0,
        bucketCounts: new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0),
      };
      this.series.set(key, series);
    }
    series.count++;
    series.sumSeconds += seconds;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS_SECONDS.length && seconds > (DURATION_BUCKETS_SECONDS[bucket] as number)) bucket++;
    (series.bucketCounts[bucket] as number)++;
  }

  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): Metric<string> {
    const collected = { name, help, type, aggregator: 'sum' } as const;
    const metric = {
      ...collected,
      get: async () => ({ ...collected, values: values() }),
      reset: () => this.series.clear(),
    };
    // The registry only calls get() and reset(); prom-client's type lists its own classes alone.
    return metric as unknown as Metric<string>;
  }
}

function histogramValues(series: Series): Sample[] {
  let cumulative = 0;
  const buckets = DURATION_BUCKETS_SECONDS.map((bound, index) => {
    cumulative += series.bucketCounts[index] as number;
    return {
      metricName: 'http_request_duration_seconds_bucket',
      labels: { ...series.labels, le: bound },
      value: cumulative,
    };
  });
  return [
    ...buckets,
    {
      metricName: 'http_request_duration_seconds_bucket',
      labels: { ...series.labels, le: '+Inf' },
      value: series.count,
    },
    { metricName: 'http_request_duration_seconds_sum', labels: { ...series.labels }, value: series.sumSeconds },
    { metricName: 'http_request_duration_seconds_count', labels: { ...series.labels }, value: series.count },
  ];
}
